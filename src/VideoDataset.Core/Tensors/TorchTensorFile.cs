using System.Text;
using System.Text.Json;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// Tensor files: one tensor in PyTorch's zip serialization, so that <c>torch.load(path)</c> (also
/// with <c>weights_only=True</c>) returns a plain <c>torch.Tensor</c>. Layout, as torch.save
/// writes it: an uncompressed zip whose records all sit under one folder, <c>archive/data.pkl</c>
/// (the pickle that rebuilds the tensor), <c>archive/data/0</c> (the raw little-endian storage,
/// 64-byte aligned so torch can map it), <c>archive/byteorder</c> and <c>archive/version</c>.
/// One more record, <c>archive/.videodataset.json</c>, carries our metadata (string to string);
/// torch.load never looks at records the pickle does not name.
/// </summary>
public static class TorchTensorFile
{
    const string Folder = "archive";
    const string MetadataRecord = ".videodataset.json";
    const string StorageKey = "0";
    // Serialization format version torch.save has written since 1.6; every torch since reads it.
    const string FormatVersion = "3\n";

    /// <summary>Writes the file atomically (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, TensorData tensor, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        byte[] pickle = TorchPickle.Write(tensor.DType, tensor.Shape, StorageKey);
        byte[]? json = metadata is null ? null : MetadataJson(metadata);
        AtomicFile.Write(path, stream => WriteTo(stream, tensor, pickle, json));
    }

    public static byte[] Serialize(TensorData tensor, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var stream = new MemoryStream();
        WriteTo(stream, tensor, TorchPickle.Write(tensor.DType, tensor.Shape, StorageKey), metadata is null ? null : MetadataJson(metadata));
        return stream.ToArray();
    }

    static void WriteTo(Stream stream, TensorData tensor, byte[] pickle, byte[]? metadataJson)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
        var zip = new StoredZipWriter(stream);
        // data.pkl first: torch takes the folder name from the first record.
        zip.Add($"{Folder}/data.pkl", pickle);
        zip.Add($"{Folder}/byteorder", "little"u8);
        if (metadataJson is not null) zip.Add($"{Folder}/{MetadataRecord}", metadataJson);
        zip.Add($"{Folder}/data/{StorageKey}", tensor.Bytes);
        zip.Add($"{Folder}/version", Encoding.ASCII.GetBytes(FormatVersion));
        zip.Finish();
    }

    /// <summary>
    /// Reads and fully checks a tensor file: zip structure, the CRC-32 of every record, and that the
    /// pickle's dtype, shape and strides agree with the stored data. Metadata is empty when the file
    /// has none. Also reads single-tensor files that torch.save wrote. Throws
    /// <see cref="InvalidDataException"/> saying what is wrong; <see cref="FileNotFoundException"/> when missing.
    /// </summary>
    public static (TensorData Tensor, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path);
    }

    internal static (TensorData Tensor, IReadOnlyDictionary<string, string> Metadata) Read(Stream stream, string displayName)
    {
        var zip = new StoredZipReader(stream, displayName);
        string prefix = CommonFolder(zip);
        StoredZipRecord Need(string name) =>
            zip.Records.TryGetValue(prefix + name, out var r) ? r : throw zip.Fail($"record '{prefix}{name}' is missing");

        // Check every record's CRC, also those we do not interpret.
        var contents = new Dictionary<string, byte[]>();
        foreach (var name in zip.Names) contents[name] = zip.ReadRecord(zip.Records[name]);

        string version = Encoding.ASCII.GetString(contents[Need("version").Name]).Trim();
        if (!int.TryParse(version, out int v) || v < 1)
            throw zip.Fail($"record '{prefix}version' holds '{version}', not a format version");
        if (zip.Records.ContainsKey(prefix + "byteorder") && Encoding.ASCII.GetString(contents[prefix + "byteorder"]) != "little")
            throw zip.Fail("the tensor data is not little-endian");

        var spec = TorchPickle.Read(contents[Need("data.pkl").Name], zip.Fail);
        var dtype = TorchPickle.DTypeOfStorage(spec.StorageType)
            ?? throw zip.Fail($"the tensor's storage is torch.{spec.StorageType}; tensor files hold FloatStorage, HalfStorage or BFloat16Storage");
        byte[] storage = contents[Need($"data/{spec.StorageKey}").Name];
        int elementSize = TensorData.ElementSize(dtype);
        if (spec.StorageNumel < 0 || storage.LongLength != spec.StorageNumel * elementSize)
            throw zip.Fail($"record '{prefix}data/{spec.StorageKey}' holds {storage.LongLength} bytes but the pickle declares {spec.StorageNumel} elements of {dtype} ({spec.StorageNumel * elementSize} bytes)");
        byte[] bytes = View(spec, storage, elementSize, zip);

        IReadOnlyDictionary<string, string> metadata = contents.TryGetValue(prefix + MetadataRecord, out var json)
            ? ParseMetadata(json, zip) : new Dictionary<string, string>();
        return (new TensorData(dtype, spec.Size, bytes), metadata);
    }

    /// <summary>
    /// Reads only the zip directory and the metadata record (not the tensor data), for cheap staleness
    /// checks. Null when the file has no metadata. Throws <see cref="InvalidDataException"/> when the
    /// file is not a well-formed tensor file (a truncated file loses its directory at the end).
    /// </summary>
    public static IReadOnlyDictionary<string, string>? ReadMetadata(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        var zip = new StoredZipReader(stream, path);
        string prefix = CommonFolder(zip);
        foreach (string required in new[] { "data.pkl", "version" })
            if (!zip.Records.ContainsKey(prefix + required)) throw zip.Fail($"record '{prefix}{required}' is missing");
        return zip.Records.TryGetValue(prefix + MetadataRecord, out var record) ? ParseMetadata(zip.ReadRecord(record), zip) : null;
    }

    /// <summary>torch requires every record under one folder; returns "folder/".</summary>
    static string CommonFolder(StoredZipReader zip)
    {
        if (zip.Names.Count == 0) throw zip.Fail("the zip holds no records");
        int slash = zip.Names[0].IndexOf('/');
        if (slash <= 0) throw zip.Fail($"record '{zip.Names[0]}' is not inside a folder, as torch requires");
        string prefix = zip.Names[0][..(slash + 1)];
        foreach (var name in zip.Names)
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
                throw zip.Fail($"record '{name}' is outside the folder '{prefix}' of the other records");
        return prefix;
    }

    /// <summary>The bytes of the (contiguous) view the pickle describes.</summary>
    static byte[] View(TorchTensorSpec spec, byte[] storage, int elementSize, StoredZipReader zip)
    {
        string shape = $"[{string.Join(", ", spec.Size)}]";
        if (spec.Size.Length != spec.Stride.Length || spec.Size.Any(d => d < 0))
            throw zip.Fail($"the pickle's size {shape} and stride [{string.Join(", ", spec.Stride)}] do not match");
        long count;
        try { count = spec.Size.Aggregate(1L, (a, d) => checked(a * d)); }
        catch (OverflowException) { throw zip.Fail($"the tensor's size {shape} is too large"); }
        if (count == 0) return [];
        var contiguous = TorchPickle.ContiguousStrides(spec.Size);
        for (int i = 0; i < spec.Size.Length; i++)
            if (spec.Size[i] > 1 && spec.Stride[i] != contiguous[i])
                throw zip.Fail($"the tensor is not contiguous (size {shape}, stride [{string.Join(", ", spec.Stride)}])");
        if (spec.StorageOffset < 0 || spec.StorageOffset + count > spec.StorageNumel)
            throw zip.Fail($"the tensor (offset {spec.StorageOffset}, size {shape}) does not fit its storage of {spec.StorageNumel} elements");
        if (spec.StorageOffset == 0 && count == spec.StorageNumel) return storage;
        return storage.AsSpan(checked((int)(spec.StorageOffset * elementSize)), checked((int)(count * elementSize))).ToArray();
    }

    static byte[] MetadataJson(IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            // Sorted, so the same tensor and metadata always give the same bytes.
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                ArgumentNullException.ThrowIfNull(value, $"metadata[{key}]");
                json.WriteString(key, value);
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    static IReadOnlyDictionary<string, string> ParseMetadata(byte[] json, StoredZipReader zip)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw zip.Fail($"record '{MetadataRecord}' is not a JSON object");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw zip.Fail($"metadata '{p.Name}' is not a string");
                result[p.Name] = p.Value.GetString()!;
            }
            return result;
        }
        catch (JsonException e) { throw zip.Fail($"record '{MetadataRecord}' is not valid JSON: {e.Message}"); }
    }
}
