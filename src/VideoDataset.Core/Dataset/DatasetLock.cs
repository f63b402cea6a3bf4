using System.Text;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// An exclusive lock on a DatasetDir for one build. The operating system drops it when the process
/// ends, however it ends, so a killed build never leaves a stale lock behind. The lock file names
/// its holder by project and machine only (no process id or time), and is rewritten only when that
/// changes: a no-op build leaves every file of the DatasetDir as it was.
/// </summary>
public sealed class DatasetLock : IDisposable
{
    public const string FileName = ".videodataset.lock";
    readonly FileStream _stream;

    DatasetLock(FileStream stream) { _stream = stream; }

    /// <summary>The lock, or null when another process holds it (then <paramref name="holder"/> says who, if known).</summary>
    /// <param name="description">Who takes the lock, e.g. the project file; shown to a second build.</param>
    public static DatasetLock? TryAcquire(string datasetDir, out string holder, string description = "a VideoDataset build")
    {
        Directory.CreateDirectory(datasetDir);
        string path = Path.Combine(datasetDir, FileName);
        holder = "";
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            byte[] content = Encoding.UTF8.GetBytes($"{description} on {Environment.MachineName}\n");
            if (!Holds(stream, content))
            {
                stream.Position = 0;
                stream.SetLength(0);
                stream.Write(content);
                stream.Flush();
            }
            return new DatasetLock(stream);
        }
        catch (IOException)
        {
            try { holder = File.ReadAllText(path).Trim(); } catch (IOException) { }
            return null;
        }
    }

    static bool Holds(FileStream stream, byte[] content)
    {
        if (stream.Length != content.Length) return false;
        var current = new byte[content.Length];
        stream.Position = 0;
        stream.ReadExactly(current);
        return current.AsSpan().SequenceEqual(content);
    }

    public void Dispose() => _stream.Dispose();
}
