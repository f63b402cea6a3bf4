using System.Text;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// An exclusive lock on a DatasetDir for one build. The operating system drops it when the process
/// ends, however it ends, so a killed build never leaves a stale lock behind. The file's content
/// is a fixed note for whoever finds it, written only when it is not there yet: taking the lock
/// changes no file, so a no-op build leaves every file of the DatasetDir as it was. (Nothing about
/// the holder goes in it: a locked file cannot be read by the build that is refused.)
/// </summary>
public sealed class DatasetLock : IDisposable
{
    public const string FileName = ".videodataset.lock";
    readonly FileStream _stream;

    DatasetLock(FileStream stream) { _stream = stream; }

    static readonly byte[] Note = Encoding.UTF8.GetBytes("A VideoDataset build holds an OS lock on this file while it writes this folder.\n");

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
            if (!Holds(stream, Note))
            {
                stream.Position = 0;
                stream.SetLength(0);
                stream.Write(Note);
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
