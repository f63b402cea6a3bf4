using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace VideoDataset.Core.Tensors;

/// <summary>One tensor's place in a safetensors file.</summary>
public sealed record SafetensorsEntry(string Name, TensorDType DType, long[] Shape, long DataOffset, long ByteLength);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and data_offsets, then the raw little-endian data. Nothing is
/// ever unpickled.
/// </summary>
public sealed class SafetensorsFile
{
    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    readonly long _dataStart;

    SafetensorsFile(string path, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path; Entries = entries; Metadata = metadata; _dataStart = dataStart;
    }

    public static SafetensorsFile Open(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var entries = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        using var doc = JsonDocument.Parse(header);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var dtype = prop.Value.GetProperty("dtype").GetString() switch
            {
                "F32" => TensorDType.Float32,
                "F16" => TensorDType.Float16,
                "BF16" => TensorDType.BFloat16,
                var other => throw new InvalidDataException($"{path}: tensor '{prop.Name}' has dtype {other}; expected F32, F16 or BF16"),
            };
            long[] shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            entries[prop.Name] = new SafetensorsEntry(prop.Name, dtype, shape, offsets[0], offsets[1] - offsets[0]);
        }
        return new SafetensorsFile(path, entries, metadata, 8 + headerLength);
    }

    public TensorData Read(string name)
    {
        var entry = Entries[name];
        using var stream = File.OpenRead(Path);
        stream.Position = _dataStart + entry.DataOffset;
        var bytes = new byte[entry.ByteLength];
        stream.ReadExactly(bytes);
        return new TensorData(entry.DType, entry.Shape, bytes);
    }

    /// <summary>Writes tensors in the given order (a temporary file renamed into place).</summary>
    public static void Write(string path, IEnumerable<(string Name, TensorData Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, t) in list)
        {
            string dtype = t.DType switch { TensorDType.Float32 => "F32", TensorDType.Float16 => "F16", _ => "BF16" };
            header[name] = new { dtype, shape = t.Shape, data_offsets = new[] { offset, offset + t.Bytes.LongLength } };
            offset += t.Bytes.LongLength;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the format allows
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = File.Create(temp))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(len, padded);
                stream.Write(len);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
                foreach (var (_, t) in list) stream.Write(t.Bytes);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally { if (File.Exists(temp)) File.Delete(temp); }
    }
}
