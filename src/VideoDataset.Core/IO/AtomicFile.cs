using System.Text;

namespace VideoDataset.Core.IO;

/// <summary>
/// Writes files so that a reader, or a later build after a kill at any point, sees either the old
/// file or the complete new one, never half a file: the bytes go to a temporary file in the same
/// folder (same file system, so the final rename is atomic), are flushed to disk, and only then
/// replace the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Part of every temporary file's name (<c>&lt;name&gt;.vdstmp-&lt;random&gt;</c>), so Clean can find leftovers of killed builds.</summary>
    public const string TempMarker = ".vdstmp-";

    // Like MSBuild's Copy task: a virus scanner or indexer may hold the target open for a moment.
    const int RenameRetries = 5;
    const int RenameRetryDelayMilliseconds = 200;

    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, creating its folder; on any failure the target is untouched and no temporary file remains.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temp = NewTempPath(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true); // the data must be on disk before the rename makes it visible
            }
            MoveWithRetries(temp, Path.GetFullPath(path));
        }
        finally
        {
            Discard(temp); // the temp is still there only when writing or renaming failed
        }
    }

    /// <summary>
    /// A temporary path next to <paramref name="path"/> (same file system, its folder created), for
    /// a writer that needs a path rather than a stream, such as an ffmpeg process; finish with
    /// <see cref="Commit"/>, or <see cref="Discard"/> on failure.
    /// </summary>
    public static string NewTempPath(string path)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, Path.GetFileName(fullPath) + TempMarker + Path.GetRandomFileName().Replace(".", ""));
    }

    /// <summary>Puts a complete temporary file from <see cref="NewTempPath"/> in place: flushed to disk, then renamed (with retries).</summary>
    public static void Commit(string temp, string path)
    {
        try
        {
            using (var f = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite)) f.Flush(flushToDisk: true);
            MoveWithRetries(temp, Path.GetFullPath(path));
        }
        finally
        {
            Discard(temp);
        }
    }

    /// <summary>Removes a temporary file if it is still there; never throws.</summary>
    public static void Discard(string temp)
    {
        try { if (temp != "" && File.Exists(temp)) File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8NoBom.GetBytes(text));

    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8, no BOM) unless the file already holds exactly those bytes;
    /// then the file and its timestamp stay as they are, so timestamp-based consumers see no change
    /// (MSBuild's WriteLinesToFile WriteOnlyWhenDifferent). Returns whether it wrote.
    /// </summary>
    public static bool WriteTextIfDifferent(string path, string text)
    {
        byte[] bytes = Utf8NoBom.GetBytes(text);
        if (File.Exists(path) && new FileInfo(path).Length == bytes.LongLength
            && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            return false;
        WriteAllBytes(path, bytes);
        return true;
    }

    /// <summary>Whether <paramref name="path"/> exists and holds exactly <paramref name="bytes"/> (read in pieces, so a large file makes no large array).</summary>
    public static bool Holds(string path, ReadOnlySpan<byte> bytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != bytes.Length) return false;
        byte[] piece = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            for (int done = 0; done < bytes.Length;)
            {
                int n = stream.Read(piece, 0, Math.Min(piece.Length, bytes.Length - done));
                if (n == 0 || !piece.AsSpan(0, n).SequenceEqual(bytes.Slice(done, n))) return false;
                done += n;
            }
            return stream.Read(piece, 0, 1) == 0;
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(piece); }
    }

    static void MoveWithRetries(string source, string destination)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                File.Move(source, destination, overwrite: true);
                return;
            }
            catch (IOException) when (attempt < RenameRetries)
            {
                Thread.Sleep(RenameRetryDelayMilliseconds);
            }
        }
    }
}
