using System.Buffers.Binary;
using System.Text;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// Reads the directory of a stored zip and checks its structure: every record stored, inside the
/// file, its local header agreeing with the directory. Errors are <see cref="InvalidDataException"/>
/// prefixed with the file's name.
/// </summary>
internal sealed class StoredZipReader
{
    readonly Stream _stream;
    readonly string _displayName;
    public IReadOnlyDictionary<string, StoredZipRecord> Records { get; }
    /// <summary>Record names in directory order.</summary>
    public IReadOnlyList<string> Names { get; }

    public StoredZipReader(Stream stream, string displayName)
    {
        _stream = stream; _displayName = displayName;
        long length = stream.Length;
        Span<byte> magic = stackalloc byte[4];
        if (length < 4 || ReadAt(0, magic) < 4 || BinaryPrimitives.ReadUInt32LittleEndian(magic) != 0x04034b50)
            throw Fail(length == 0 ? "the file is empty" : "not a zip file (no zip signature at the start): not a PyTorch tensor file");

        var (directoryOffset, directorySize, count) = FindEnd(length);
        var directory = new byte[directorySize];
        ReadExactlyAt(directoryOffset, directory, "the central directory");
        var records = new Dictionary<string, StoredZipRecord>(StringComparer.Ordinal);
        var names = new List<string>();
        int p = 0;
        Span<byte> local = stackalloc byte[30];
        for (int i = 0; i < count; i++)
        {
            if (p + 46 > directory.Length || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(p)) != 0x02014b50)
                throw Fail($"central directory entry {i} is damaged");
            var e = directory.AsSpan(p);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(e[8..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
            uint compressed = BinaryPrimitives.ReadUInt32LittleEndian(e[20..]);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(e[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(e[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(e[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(e[32..]);
            uint localOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[42..]);
            if (p + 46 + nameLength + extraLength + commentLength > directory.Length)
                throw Fail($"central directory entry {i} is damaged");
            string name = DecodeName(directory.AsSpan(p + 46, nameLength), i);
            p += 46 + nameLength + extraLength + commentLength;

            if ((flags & 1) != 0) throw Fail($"record '{name}' is encrypted");
            if (method != 0) throw Fail($"record '{name}' is compressed (method {method}); tensor files store records uncompressed");
            if (compressed != size) throw Fail($"record '{name}' has different stored and original sizes");
            if (size == uint.MaxValue || localOffset == uint.MaxValue) throw Fail("zip64 files are not supported");
            if (!records.TryAdd(name, null!)) throw Fail($"record '{name}' appears twice");

            // The local header must agree; the data starts after its own name and extra field.
            if ((long)localOffset + 30 > directoryOffset || ReadAt(localOffset, local) < 30
                || BinaryPrimitives.ReadUInt32LittleEndian(local) != 0x04034b50)
                throw Fail($"the local header of record '{name}' is missing or damaged");
            int localNameLength = BinaryPrimitives.ReadUInt16LittleEndian(local[26..]);
            int localExtraLength = BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
            var localName = new byte[localNameLength];
            ReadExactlyAt(localOffset + 30, localName, $"the local header of record '{name}'");
            if (!localName.AsSpan().SequenceEqual(directory.AsSpan(p - nameLength - extraLength - commentLength, nameLength)))
                throw Fail($"the local header of record '{name}' names a different record");
            long dataOffset = localOffset + 30L + localNameLength + localExtraLength;
            if (dataOffset + size > directoryOffset)
                throw Fail($"record '{name}' runs past the end of the data area (truncated or damaged file)");
            records[name] = new StoredZipRecord(name, dataOffset, size, crc);
            names.Add(name);
        }
        Records = records;
        Names = names;
    }

    /// <summary>Reads a record's bytes and checks their CRC-32.</summary>
    public byte[] ReadRecord(StoredZipRecord record)
    {
        var bytes = new byte[record.Size];
        ReadExactlyAt(record.DataOffset, bytes, $"record '{record.Name}'");
        uint crc = Crc32.Compute(bytes);
        if (crc != record.Crc)
            throw Fail($"record '{record.Name}' is corrupt: its CRC-32 is {crc:x8}, the directory says {record.Crc:x8}");
        return bytes;
    }

    public InvalidDataException Fail(string message) => new($"{_displayName}: {message}");

    (long Offset, long Size, int Count) FindEnd(long length)
    {
        // The end record is the last 22 bytes unless the zip has a comment (ours never do; up to 64 KiB).
        int window = (int)Math.Min(length, 22 + 0xFFFF);
        var tail = new byte[window];
        ReadExactlyAt(length - window, tail, "the end of the file");
        for (int i = window - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != 0x06054b50) continue;
            var end = tail.AsSpan(i);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(end[20..]);
            if (i + 22 + commentLength != window) continue; // a chance match inside data, not the real end record
            long endOffset = length - window + i;
            ushort disk = BinaryPrimitives.ReadUInt16LittleEndian(end[4..]);
            ushort count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
            if (disk != 0) throw Fail("multi-part zip files are not supported");
            if (count == ushort.MaxValue || size == uint.MaxValue || offset == uint.MaxValue) throw Fail("zip64 files are not supported");
            if ((long)offset + size > endOffset) throw Fail("the central directory lies outside the file (truncated or damaged file)");
            return (offset, size, count);
        }
        throw Fail("no zip end-of-central-directory record: the file is truncated or not a zip file");
    }

    string DecodeName(ReadOnlySpan<byte> bytes, int index)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Fail($"central directory entry {index} has a name that is not UTF-8"); }
    }

    int ReadAt(long offset, Span<byte> buffer)
    {
        _stream.Position = offset;
        return _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
    }

    void ReadExactlyAt(long offset, Span<byte> buffer, string what)
    {
        if (ReadAt(offset, buffer) < buffer.Length) throw Fail($"{what} is cut short (truncated file)");
    }
}
