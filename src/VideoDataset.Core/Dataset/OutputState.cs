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
    public static string? RecordedKey(string path, FileStampCache keys)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return keys.Get(path, p => TorchTensorFile.Read(p).Metadata.TryGetValue("key", out var k) ? k : "");
        }
        catch (Exception e) when (e is InvalidDataException or IOException) { return null; }
    }

    public static bool IsFresh(string path, string expectedKey, FileStampCache keys) => RecordedKey(path, keys) == expectedKey;

    /// <summary>
    /// Keeps a latent's stamp file (the Inputs of the EncodeVideoLatents target, 1:1 with its
    /// Outputs) older than the latent exactly when the latent is fresh, so MSBuild's own timestamp
    /// comparison reaches the same decision as the content check. Returns whether it had to change
    /// the stamp; with <paramref name="dryRun"/> it changes nothing.
    /// </summary>
    public static bool SyncStamp(PlannedLatent latent, bool fresh, bool dryRun)
    {
        var stamp = new FileInfo(latent.StampPath);
        var output = new FileInfo(latent.OutputPath);
        if (fresh)
        {
            if (stamp.Exists && stamp.LastWriteTimeUtc < output.LastWriteTimeUtc) return false;
            if (dryRun) return true;
            WriteStamp(latent);
            File.SetLastWriteTimeUtc(latent.StampPath, output.LastWriteTimeUtc.AddSeconds(-1));
            return true;
        }
        if (stamp.Exists && (!output.Exists || stamp.LastWriteTimeUtc > output.LastWriteTimeUtc)) return false;
        if (dryRun) return true;
        WriteStamp(latent);
        if (output.Exists && new FileInfo(latent.StampPath).LastWriteTimeUtc <= output.LastWriteTimeUtc)
            File.SetLastWriteTimeUtc(latent.StampPath, output.LastWriteTimeUtc.AddSeconds(1));
        return true;
    }

    static void WriteStamp(PlannedLatent latent)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(latent.StampPath)!);
        File.WriteAllText(latent.StampPath, latent.Key + "\n");
    }
}
