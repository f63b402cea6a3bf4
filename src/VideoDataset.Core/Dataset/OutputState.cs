using VideoDataset.Core.Staleness;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// Whether an output is fresh: it exists and records the expected key. Every tensor file carries
/// its key inside, written in the same atomic rename as its data, so no crash can leave an output
/// that looks fresh without being so. The recorded key is cached by (size, time) per machine.
/// </summary>
public static class OutputState
{
    /// <summary>
    /// The key the file records; null when it is missing or not intact. A file not seen before, or
    /// changed since, is read whole and its checksums verified, so a damaged output is rebuilt.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static string? RecordedKey(string path, FileStampCache keys)
    {
        var info = new FileInfo(path); // one stat: whether it exists, and its size and time for the cache
        if (!info.Exists) return null;
        try
        {
            return keys.Get(path, (info.Length, info.LastWriteTimeUtc.Ticks), p => TorchTensorFile.Read(p).Metadata.TryGetValue("key", out var k) ? k : "");
        }
        catch (Exception e) when (e is InvalidDataException or IOException) { return null; }
    }

    public static bool IsFresh(string path, string expectedKey, FileStampCache keys) => RecordedKey(path, keys) == expectedKey;
}
