using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// The weights of one model as Hugging Face lays them out in a folder: a single
/// <c>model.safetensors</c>, or shards listed in <c>model.safetensors.index.json</c>
/// (<c>{"weight_map": {"tensor name": "shard file name", ...}}</c>). Tensors are looked up by name
/// wherever they live.
/// </summary>
/// <remarks>
/// Diagnostics, in addition to those of <see cref="SafetensorsFile"/> for each file opened:
/// <list type="table">
/// <item><term>VDS4120</term><description>the folder has neither the single file nor its index (on the folder)</description></item>
/// <item><term>VDS4121</term><description>the index is not valid JSON, has no weight_map object of file names in the folder (no path separators), or names a tensor twice (on the index)</description></item>
/// <item><term>VDS4122</term><description>a shard the index names does not exist (on the index)</description></item>
/// <item><term>VDS4123</term><description>a tensor the index maps to a shard is not in that shard (on the shard)</description></item>
/// <item><term>VDS4124</term><description><see cref="Entry"/> or <see cref="Read"/> of a name the checkpoint does not hold (on the folder)</description></item>
/// </list>
/// </remarks>
public sealed class SafetensorsCheckpoint
{
    readonly string _folder;
    readonly Dictionary<string, SafetensorsFile> _fileOf;

    /// <summary>Every tensor name, in index (or file header) order.</summary>
    public IReadOnlyCollection<string> Names => _fileOf.Keys;
    /// <summary>Absolute paths of the files the weights come from (the index first when sharded), for hashing.</summary>
    public IReadOnlyList<string> Files { get; }

    SafetensorsCheckpoint(string folder, Dictionary<string, SafetensorsFile> fileOf, List<string> files)
    {
        _folder = folder; _fileOf = fileOf; Files = files;
    }

    static DiagnosticException Error(string code, string file, string message) => new(Diagnostic.Error(code, file, 0, 0, message));

    /// <param name="folder">The model folder, e.g. <c>text_encoder/</c>.</param>
    /// <param name="fileName">The single-file name, e.g. <c>model.safetensors</c>; its index is <c>&lt;fileName&gt;.index.json</c>.</param>
    public static SafetensorsCheckpoint Open(string folder, string fileName)
    {
        folder = Path.GetFullPath(folder);
        string single = Path.Combine(folder, fileName);
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            return new SafetensorsCheckpoint(folder, file.Entries.Keys.ToDictionary(n => n, _ => file, StringComparer.Ordinal), [single]);
        }
        string baseName = fileName.EndsWith(".safetensors", StringComparison.Ordinal) ? fileName[..^".safetensors".Length] : fileName;
        string indexName = baseName + ".safetensors.index.json";
        string index = Path.Combine(folder, indexName);
        if (!File.Exists(index))
            throw Error(DiagnosticCodes.CheckpointNoWeights, folder, $"no model weights: expected {fileName} or its shard index {indexName} in this folder");
        return OpenSharded(folder, index);
    }

    static SafetensorsCheckpoint OpenSharded(string folder, string index)
    {
        var weightMap = new List<(string Name, string Shard)>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw Error(DiagnosticCodes.ShardIndexInvalid, index, "the index has no \"weight_map\" object");
            foreach (var p in map.EnumerateObject())
            {
                // Shards must sit in the folder itself: that is where the build hashes model files for staleness.
                if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: > 0 } shard
                    || shard.Contains('/') || shard.Contains('\\'))
                    throw Error(DiagnosticCodes.ShardIndexInvalid, index, $"weight_map entry '{p.Name}' is not the name of a file in this folder: {p.Value.GetRawText()}");
                weightMap.Add((p.Name, shard));
            }
        }
        catch (JsonException e) { throw Error(DiagnosticCodes.ShardIndexInvalid, index, $"the index is not valid JSON: {e.Message}"); }

        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var files = new List<string> { index };
        foreach (var (name, shardName) in weightMap)
        {
            if (!shards.TryGetValue(shardName, out var shard))
            {
                string shardPath = Path.GetFullPath(Path.Combine(folder, shardName));
                if (!File.Exists(shardPath))
                    throw Error(DiagnosticCodes.ShardMissing, index, $"shard {shardName} (holding tensor '{name}') does not exist in {folder}");
                shards[shardName] = shard = SafetensorsFile.Open(shardPath);
                files.Add(shardPath);
            }
            if (!shard.Entries.ContainsKey(name))
                throw Error(DiagnosticCodes.ShardLacksTensor, shard.Path, $"the index maps tensor '{name}' to this shard, which does not hold it");
            if (!fileOf.TryAdd(name, shard))
                throw Error(DiagnosticCodes.ShardIndexInvalid, index, $"weight_map names tensor '{name}' twice");
        }
        return new SafetensorsCheckpoint(folder, fileOf, files);
    }

    public SafetensorsEntry Entry(string name) => FileOf(name).Entries[name];

    public TensorData Read(string name) => FileOf(name).Read(name);

    /// <summary>Part of one tensor's bytes straight into <paramref name="destination"/>; see <see cref="SafetensorsFile.ReadInto"/>.</summary>
    public void ReadInto(string name, Span<byte> destination, long tensorOffset = 0) => FileOf(name).ReadInto(name, destination, tensorOffset);

    /// <summary>The file holding tensor <paramref name="name"/> and where its data starts in it.</summary>
    public (string Path, long Offset) Locate(string name)
    {
        var file = FileOf(name);
        return (file.Path, file.FileOffset(name));
    }

    public bool Contains(string name) => _fileOf.ContainsKey(name);

    SafetensorsFile FileOf(string name) =>
        _fileOf.TryGetValue(name, out var file) ? file : throw Error(DiagnosticCodes.CheckpointNoSuchTensor, _folder, $"the model weights hold no tensor named '{name}'");
}
