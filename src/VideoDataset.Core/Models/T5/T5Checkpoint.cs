using VideoDataset.Core.Tensors;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// What the loader needs from a checkpoint: every tensor's name, dtype and shape, and a way to
/// read one by name. Built over a <see cref="SafetensorsCheckpoint"/> (one file or shards), or over
/// any other reader through the constructor.
/// </summary>
public sealed class T5Checkpoint
{
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The file named in diagnostics (the weights file, or the shard index).</summary>
    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    readonly Func<string, TensorData> _read;
    readonly ModelWeights.ByteReader? _readInto;

    public T5Checkpoint(string path, IReadOnlyDictionary<string, SafetensorsEntry> entries, Func<string, TensorData> read)
    {
        Path = path; Entries = entries; _read = read;
    }

    /// <param name="readInto">Reads part of a tensor's bytes straight into a parameter's storage (no copy on the managed heap).</param>
    public T5Checkpoint(string path, IReadOnlyDictionary<string, SafetensorsEntry> entries, Func<string, TensorData> read, ModelWeights.ByteReader readInto)
        : this(path, entries, read)
    {
        _readInto = readInto;
    }

    /// <summary>Where each tensor's bytes lie in which file, when the checkpoint is files (null otherwise).</summary>
    public WeightFileMap.Locator? Locate { get; init; }

    public TensorData Read(string name) => _read(name);

    /// <summary>Bytes [<paramref name="tensorOffset"/>, + destination length) of tensor <paramref name="name"/>.</summary>
    public void ReadInto(string name, Span<byte> destination, long tensorOffset)
    {
        if (_readInto is not null) { _readInto(name, destination, tensorOffset); return; }
        _read(name).Bytes.AsSpan(checked((int)tensorOffset), destination.Length).CopyTo(destination);
    }

    /// <summary>
    /// <c>model.safetensors</c> in <paramref name="t5Dir"/>, or else the shards listed in
    /// <c>model.safetensors.index.json</c>; problems are the diagnostics of <see cref="SafetensorsCheckpoint.Open"/>.
    /// </summary>
    public static T5Checkpoint Open(string t5Dir) => FromCheckpoint(SafetensorsCheckpoint.Open(t5Dir, WeightsFileName));

    public static T5Checkpoint FromCheckpoint(SafetensorsCheckpoint checkpoint) =>
        new(checkpoint.Files[0], checkpoint.Names.ToDictionary(n => n, checkpoint.Entry, StringComparer.Ordinal), checkpoint.Read, checkpoint.ReadInto)
        {
            Locate = checkpoint.Locate,
        };
}
