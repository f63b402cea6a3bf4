using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and data_offsets (relative to the data area that follows the
/// header), then the raw little-endian data. Nothing is ever unpickled. <see cref="Open"/> checks the
/// whole header against the file's length, so a bad weight file fails before any model is built,
/// with a diagnostic naming the file and the tensor.
/// </summary>
/// <remarks>
/// Diagnostics (all errors, on the file):
/// <list type="table">
/// <item><term>VDS4101</term><description>the file does not exist</description></item>
/// <item><term>VDS4102</term><description>the file is shorter than the 8-byte header length</description></item>
/// <item><term>VDS4103</term><description>the header length is zero, implausibly large or larger than the file</description></item>
/// <item><term>VDS4104</term><description>the header is not UTF-8</description></item>
/// <item><term>VDS4105</term><description>the header is not valid JSON, not a JSON object, or names a tensor twice</description></item>
/// <item><term>VDS4106</term><description>an entry is not an object or lacks a well-formed dtype, shape or data_offsets</description></item>
/// <item><term>VDS4107</term><description>an entry's dtype is not F32, F16 or BF16</description></item>
/// <item><term>VDS4108</term><description>an entry's data_offsets lie outside the data area (begin after end, or past the end of the file when the file is not simply cut short)</description></item>
/// <item><term>VDS4109</term><description>an entry's data_offsets span does not match its shape times the element size</description></item>
/// <item><term>VDS4110</term><description>two entries' data overlap</description></item>
/// <item><term>VDS4111</term><description>the data is truncated: the header describes more bytes than the file holds</description></item>
/// <item><term>VDS4112</term><description>__metadata__ is not an object of strings</description></item>
/// <item><term>VDS4113</term><description><see cref="Read"/> of a name the file does not hold</description></item>
/// </list>
/// </remarks>
public sealed class SafetensorsFile
{
    // The reference implementation refuses headers over 100 MB; a corrupt length must not make us allocate gigabytes.
    const long MaxHeaderLength = 100_000_000;

    public string Path { get; }
    /// <summary>Entries in header order.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    readonly long _dataStart;

    SafetensorsFile(string path, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path; Entries = entries; Metadata = metadata; _dataStart = dataStart;
    }

    static DiagnosticException Error(string code, string path, string message) =>
        new(Diagnostic.Error(code, path, 0, 0, message));

    /// <summary>Reads and checks the header (not the data); throws <see cref="DiagnosticException"/> (VDS4101-VDS4112).</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw Error(DiagnosticCodes.SafetensorsNotFound, path, "safetensors file not found");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw Error(DiagnosticCodes.SafetensorsTooShort, path, $"the file is {fileLength} bytes long, shorter than the 8-byte header length of a safetensors file");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderLength || headerLength > fileLength - 8)
            throw Error(DiagnosticCodes.SafetensorsBadHeaderLength, path, $"the header length is {(ulong)headerLength} bytes but the file holds only {fileLength - 8} bytes after it: not a safetensors file, or truncated");
        var header = new byte[headerLength];
        stream.ReadExactly(header);

        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header); }
        catch (DecoderFallbackException) { throw Error(DiagnosticCodes.SafetensorsHeaderNotUtf8, path, "the header is not valid UTF-8"); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw Error(DiagnosticCodes.SafetensorsBadHeader, path, $"the header is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Error(DiagnosticCodes.SafetensorsBadHeader, path, $"the header is a JSON {doc.RootElement.ValueKind}, not an object");
            long dataStart = 8 + headerLength;
            var (entries, metadata) = ParseHeader(doc.RootElement, path);
            CheckLayout(entries.Values, fileLength - dataStart, path);
            return new SafetensorsFile(path, entries, metadata, dataStart);
        }
    }

    static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(JsonElement root, string path)
    {
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw Error(DiagnosticCodes.SafetensorsBadMetadata, path, "__metadata__ is not a JSON object");
                foreach (var m in prop.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw Error(DiagnosticCodes.SafetensorsBadMetadata, path, $"__metadata__ value '{m.Name}' is not a string");
                    metadata[m.Name] = m.Value.GetString()!;
                }
                continue;
            }
            if (entries.ContainsKey(prop.Name)) throw Error(DiagnosticCodes.SafetensorsBadHeader, path, $"the header names tensor '{prop.Name}' twice");
            entries[prop.Name] = ParseEntry(prop.Name, prop.Value, path);
        }
        return (entries, metadata);
    }

    static SafetensorsEntry ParseEntry(string name, JsonElement e, string path)
    {
        DiagnosticException Malformed(string what) => Error(DiagnosticCodes.SafetensorsBadEntry, path, $"tensor '{name}': {what}");
        if (e.ValueKind != JsonValueKind.Object) throw Malformed("the entry is not a JSON object");
        if (!e.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Malformed("no \"dtype\" string");
        if (!e.TryGetProperty("shape", out var shapeElement) || NonNegativeIntegers(shapeElement) is not { } shape)
            throw Malformed("no \"shape\" array of non-negative integers");
        if (!e.TryGetProperty("data_offsets", out var offsetsElement) || NonNegativeIntegers(offsetsElement) is not [long begin, long end])
            throw Malformed("no \"data_offsets\" pair of non-negative integers");

        string dtypeName = dtypeElement.GetString()!;
        var dtype = dtypeName switch
        {
            "F32" => TensorDType.Float32,
            "F16" => TensorDType.Float16,
            "BF16" => TensorDType.BFloat16,
            _ => throw Error(DiagnosticCodes.SafetensorsUnsupportedDtype, path, $"tensor '{name}' has dtype {dtypeName}; only F32, F16 and BF16 are supported"),
        };
        if (end < begin)
            throw Error(DiagnosticCodes.SafetensorsOffsetsOutside, path, $"tensor '{name}' has data_offsets [{begin}, {end}]: the end is before the start");
        long expected;
        try
        {
            long elements = 1;
            foreach (long d in shape) elements = checked(elements * d);
            expected = checked(elements * TensorData.ElementSize(dtype));
        }
        catch (OverflowException) { throw Malformed($"shape [{string.Join(", ", shape)}] is too large"); }
        if (end - begin != expected)
            throw Error(DiagnosticCodes.SafetensorsSizeMismatch, path, $"tensor '{name}' has data_offsets [{begin}, {end}] ({end - begin} bytes) but shape [{string.Join(", ", shape)}] of {dtypeName} needs {expected} bytes");
        return new SafetensorsEntry(name, dtype, shape, begin, end - begin);
    }

    // The array's elements when it is an array of non-negative 64-bit integers, else null (a string element too,
    // which TryGetInt64 would throw on). A loop rather than LINQ over JsonElement: each such generic instantiation
    // is compiled at run time, on the first load.
    static long[]? NonNegativeIntegers(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) return null;
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long v) || v < 0) return null;
            values[i++] = v;
        }
        return values;
    }

    /// <summary>Entries must not overlap and must lie inside the data area of <paramref name="available"/> bytes.</summary>
    static void CheckLayout(IEnumerable<SafetensorsEntry> entries, long available, string path)
    {
        var sorted = entries.OrderBy(e => e.DataOffset).ThenBy(e => e.ByteLength).ToList();
        long covered = 0, dataEnd = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in sorted)
        {
            if (previous is not null && e.DataOffset < previous.DataOffset + previous.ByteLength && e.ByteLength > 0)
                throw Error(DiagnosticCodes.SafetensorsOverlap, path, $"tensors '{previous.Name}' and '{e.Name}' overlap in the data area");
            if (e.ByteLength > 0) previous = e;
            covered += e.ByteLength;
            dataEnd = Math.Max(dataEnd, e.DataOffset + e.ByteLength);
        }
        if (dataEnd <= available) return;
        // Past the end of the file. If the entries tile the area without gaps the header is
        // self-consistent and the file was cut short; otherwise an entry points somewhere wrong.
        var beyond = sorted.First(e => e.DataOffset + e.ByteLength > available);
        if (covered == dataEnd)
            throw Error(DiagnosticCodes.SafetensorsTruncated, path, $"the file is truncated: the header describes {dataEnd} bytes of tensor data but the file holds {available} (tensor '{beyond.Name}' is cut off)");
        throw Error(DiagnosticCodes.SafetensorsOffsetsOutside, path, $"tensor '{beyond.Name}' has data_offsets [{beyond.DataOffset}, {beyond.DataOffset + beyond.ByteLength}] outside the data area of {available} bytes");
    }

    /// <summary>Reads one tensor's data; VDS4113 for an unknown name, VDS4111 when the file has since been cut short.</summary>
    public TensorData Read(string name)
    {
        if (!Entries.TryGetValue(name, out var entry)) throw Error(DiagnosticCodes.SafetensorsNoSuchTensor, Path, $"the file holds no tensor named '{name}'");
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        stream.Position = _dataStart + entry.DataOffset;
        var bytes = new byte[entry.ByteLength];
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
            throw Error(DiagnosticCodes.SafetensorsTruncated, Path, $"the file is truncated: tensor '{name}' is cut off");
        return new TensorData(entry.DType, entry.Shape, bytes);
    }

    /// <summary>Where tensor <paramref name="name"/>'s data starts in the file (bytes from its beginning); VDS4113 for an unknown name.</summary>
    public long FileOffset(string name) =>
        Entries.TryGetValue(name, out var entry) ? _dataStart + entry.DataOffset
            : throw Error(DiagnosticCodes.SafetensorsNoSuchTensor, Path, $"the file holds no tensor named '{name}'");

    /// <summary>
    /// Reads <paramref name="destination"/>.Length bytes of one tensor's data, starting <paramref name="tensorOffset"/>
    /// bytes into it, straight into <paramref name="destination"/> (a model parameter's storage: no intermediate copy).
    /// VDS4113 for an unknown name, VDS4111 when the file has since been cut short.
    /// </summary>
    public void ReadInto(string name, Span<byte> destination, long tensorOffset = 0)
    {
        if (!Entries.TryGetValue(name, out var entry)) throw Error(DiagnosticCodes.SafetensorsNoSuchTensor, Path, $"the file holds no tensor named '{name}'");
        if (tensorOffset < 0 || tensorOffset + destination.Length > entry.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(tensorOffset), $"bytes [{tensorOffset}, {tensorOffset + destination.Length}) lie outside tensor '{name}' ({entry.ByteLength} bytes)");
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long position = _dataStart + entry.DataOffset + tensorOffset;
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(handle, destination, position);
            if (read == 0) throw Error(DiagnosticCodes.SafetensorsTruncated, Path, $"the file is truncated: tensor '{name}' is cut off");
            destination = destination[read..];
            position += read;
        }
    }

    /// <summary>Writes tensors in the given order, atomically (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IEnumerable<(string Name, TensorData Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var byName = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, t) in list) byName.TryAdd(name, t);
        Write(path, list.Select(t => (t.Name, t.Tensor.DType, t.Tensor.Shape)).ToList(), name => byName[name], metadata);
    }

    /// <summary>
    /// Writes the tensors of <paramref name="layout"/> in its order, atomically, asking <paramref name="make"/> for
    /// each one's data only when it is written, so a file larger than memory can be written one tensor at a time.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Name, TensorDType DType, long[] Shape)> layout, Func<string, TensorData> make,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, dtype, shape) in layout)
        {
            long length = TensorData.ElementCount(shape) * TensorData.ElementSize(dtype);
            if (name == "__metadata__" || !header.TryAdd(name, new
                {
                    dtype = dtype switch { TensorDType.Float32 => "F32", TensorDType.Float16 => "F16", _ => "BF16" },
                    shape,
                    data_offsets = new[] { offset, offset + length },
                }))
                throw new ArgumentException($"tensor name '{name}' is reserved or given twice", nameof(layout));
            offset += length;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the format allows
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, padded);
            stream.Write(len);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (name, dtype, shape) in layout)
            {
                var t = make(name);
                if (t.DType != dtype || !t.Shape.SequenceEqual(shape))
                    throw new ArgumentException($"tensor '{name}' was announced as {dtype} [{string.Join(", ", shape)}] but is {t.DType} [{string.Join(", ", t.Shape)}]", nameof(make));
                stream.Write(t.Bytes);
            }
        });
    }
}
