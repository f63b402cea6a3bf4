namespace VideoDataset.Core.Dataset;

/// <summary>
/// An exclusive lock on a DatasetDir for one build. The operating system drops it when the process
/// ends, however it ends, so a killed build never leaves a stale lock behind.
/// </summary>
public sealed class DatasetLock : IDisposable
{
    public const string FileName = ".videodataset.lock";
    readonly FileStream _stream;

    DatasetLock(FileStream stream) { _stream = stream; }

    /// <summary>The lock, or null when another process holds it (then <paramref name="holder"/> says who, if known).</summary>
    public static DatasetLock? TryAcquire(string datasetDir, out string holder)
    {
        Directory.CreateDirectory(datasetDir);
        string path = Path.Combine(datasetDir, FileName);
        holder = "";
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var text = System.Text.Encoding.UTF8.GetBytes($"pid {Environment.ProcessId} on {Environment.MachineName} since {DateTime.UtcNow:O}\n");
            stream.Write(text);
            stream.Flush();
            return new DatasetLock(stream);
        }
        catch (IOException)
        {
            try { holder = File.ReadAllText(path).Trim(); } catch (IOException) { }
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
