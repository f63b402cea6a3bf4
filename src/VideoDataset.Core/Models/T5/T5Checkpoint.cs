using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// What the loader needs from a checkpoint: every tensor's name, dtype and shape, and a way to
/// read one by name. Built over one safetensors file, over the shards of a
/// <c>model.safetensors.index.json</c>, or over any other reader through the constructor.
/// </summary>
public sealed class T5Checkpoint
{
    /// <summary>The file named in diagnostics (the weights file, or the shard index).</summary>
    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    readonly Func<string, TensorData> _read;

    public T5Checkpoint(string path, IReadOnlyDictionary<string, SafetensorsEntry> entries, Func<string, TensorData> read)
    {
        Path = path; Entries = entries; _read = read;
    }

    public TensorData Read(string name) => _read(name);

    public static T5Checkpoint FromFile(SafetensorsFile file) => new(file.Path, file.Entries, file.Read);

    /// <summary>
    /// <c>model.safetensors</c> in <paramref name="t5Dir"/>, or else the shards listed in
    /// <c>model.safetensors.index.json</c> (its <c>weight_map</c> maps each name to a shard file).
    /// </summary>
    public static T5Checkpoint Open(string t5Dir)
    {
        string single = System.IO.Path.Combine(t5Dir, "model.safetensors");
        string index = System.IO.Path.Combine(t5Dir, "model.safetensors.index.json");
        if (File.Exists(single)) return FromFile(OpenFile(single));
        if (File.Exists(index)) return OpenSharded(index);
        throw new DiagnosticException(Diagnostic.Error("VDS4310", System.IO.Path.Combine(t5Dir, "config.json"), 0, 0,
            $"no T5 weights in {t5Dir}: expected model.safetensors or model.safetensors.index.json"));
    }

    public static T5Checkpoint OpenSharded(string indexPath)
    {
        Dictionary<string, string> weightMap = new();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw Error(indexPath, "VDS4311", "shard index has no 'weight_map' object");
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw Error(indexPath, "VDS4311", $"weight_map entry '{p.Name}' is not a file name");
                weightMap[p.Name] = p.Value.GetString()!;
            }
        }
        catch (JsonException e) { throw Error(indexPath, "VDS4311", $"shard index is not valid JSON: {e.Message}"); }

        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var shards = new Dictionary<string, SafetensorsFile>();
        foreach (string shardName in weightMap.Values.Distinct())
        {
            string shardPath = System.IO.Path.Combine(dir, shardName);
            if (shardName.Contains('/') || shardName.Contains('\\') || !File.Exists(shardPath))
                throw Error(indexPath, "VDS4311", $"shard '{shardName}' listed in weight_map is missing");
            shards[shardName] = OpenFile(shardPath);
        }
        var entries = new Dictionary<string, SafetensorsEntry>();
        var absent = new List<string>();
        foreach (var (name, shardName) in weightMap)
        {
            if (shards[shardName].Entries.TryGetValue(name, out var entry)) entries[name] = entry;
            else absent.Add($"{name} (in {shardName})");
        }
        if (absent.Count > 0)
            throw Error(indexPath, "VDS4311", $"tensors listed in weight_map are not in their shard: {string.Join(", ", absent)}");
        return new T5Checkpoint(indexPath, entries, name => shards[weightMap[name]].Read(name));
    }

    static SafetensorsFile OpenFile(string path)
    {
        try { return SafetensorsFile.Open(path); }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            throw Error(path, "VDS4313", $"cannot read safetensors file: {e.Message}");
        }
    }

    static DiagnosticException Error(string file, string code, string message) => new(Diagnostic.Error(code, file, 0, 0, message));
}
