using System.Buffers.Binary;
using System.Text;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// The subset of zip that PyTorch's serialization uses: stored (uncompressed) records whose data
/// start on 64-byte boundaries, so that torch can map them straight into memory. No zip64: files
/// stay under 4 GiB (the largest latent, 63 s, is under 100 MB).
/// </summary>
internal sealed class StoredZipWriter(Stream output)
{
    public const int Alignment = 64;
    const ushort PaddingFieldId = 0x4246; // "FB", the extra-field id torch uses for its padding

    readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> _entries = new();
    long _position;

    public void Add(string name, ReadOnlySpan<byte> data)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        uint crc = Crc32.Compute(data);
        long headerEnd = _position + 30 + nameBytes.Length + 4; // 4: the padding field's own header
        int padding = (int)((Alignment - headerEnd % Alignment) % Alignment);
        CheckFits(_position + 30 + nameBytes.Length + 4 + padding + data.Length);

        Span<byte> h = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        WriteCommon(h[4..], crc, (uint)data.Length, nameBytes.Length, 4 + padding);
        output.Write(h);
        output.Write(nameBytes);
        Span<byte> extra = stackalloc byte[4 + padding];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, PaddingFieldId);
        BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)padding);
        extra[4..].Fill((byte)'Z');
        output.Write(extra);
        output.Write(data);
        _entries.Add((nameBytes, crc, (uint)data.Length, (uint)_position));
        _position += h.Length + nameBytes.Length + extra.Length + data.Length;
    }

    public void Finish()
    {
        long directoryStart = _position;
        Span<byte> c = stackalloc byte[46];
        foreach (var e in _entries)
        {
            c.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(c, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(c[4..], 20); // made by: zip 2.0, MS-DOS attributes
            WriteCommon(c[6..], e.Crc, e.Size, e.Name.Length, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(c[42..], e.Offset);
            output.Write(c);
            output.Write(e.Name);
            _position += c.Length + e.Name.Length;
        }
        CheckFits(_position + 22);
        Span<byte> end = stackalloc byte[22];
        end.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)(_position - directoryStart));
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)directoryStart);
        output.Write(end);
        _position += end.Length;
    }

    // The fields local and central headers share, from "version needed" to "extra length".
    // Fixed date (1980-01-01) and time: the same tensor always gives the same bytes.
    static void WriteCommon(Span<byte> s, uint crc, uint size, int nameLength, int extraLength)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(s, 20);        // version needed
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], 0);    // flags: sizes known up front, no data descriptor
        BinaryPrimitives.WriteUInt16LittleEndian(s[4..], 0);    // method: stored
        BinaryPrimitives.WriteUInt16LittleEndian(s[6..], 0);    // time
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], 0x21); // date
        BinaryPrimitives.WriteUInt32LittleEndian(s[10..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(s[14..], size);
        BinaryPrimitives.WriteUInt32LittleEndian(s[18..], size);
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], (ushort)nameLength);
        BinaryPrimitives.WriteUInt16LittleEndian(s[24..], (ushort)extraLength);
    }

    void CheckFits(long end)
    {
        if (end > uint.MaxValue || _entries.Count >= ushort.MaxValue)
            throw new NotSupportedException("tensor files over 4 GiB (zip64) are not supported");
    }
}
