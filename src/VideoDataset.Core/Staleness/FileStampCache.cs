using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Staleness;

/// <summary>
/// A value derived from a file's content (its SHA-256, or the key an output records), remembered
/// by (path, size, last-write time) so a no-op build does not re-read terabytes of video.
/// The file lives in the build's intermediate folder, one per machine and project: several
/// machines sharing a DatasetDir never rewrite one common state file.
/// </summary>
public sealed class FileStampCache
{
    readonly string _file;
    readonly ConcurrentDictionary<string, (long Size, long Ticks, string Value)> _entries = new(StringComparer.Ordinal);
    bool _changed;

    FileStampCache(string file) { _file = file; }

    public static FileStampCache Load(string file)
    {
        var cache = new FileStampCache(file);
        if (!File.Exists(file)) return cache;
        try
        {
            foreach (string line in File.ReadLines(file))
            {
                var f = line.Split('\t', 4);
                if (f.Length == 4 && long.TryParse(f[1], CultureInfo.InvariantCulture, out long size) && long.TryParse(f[2], CultureInfo.InvariantCulture, out long ticks))
                    cache._entries[f[3]] = (size, ticks, f[0]);
            }
        }
        catch (IOException) { cache._entries.Clear(); } // a cache is only a shortcut: start over
        return cache;
    }

    /// <summary>The cached value when the file's size and time are unchanged; otherwise computes, remembers and returns it.</summary>
    public string Get(string path, Func<string, string> compute)
    {
        var info = new FileInfo(path);
        long size = info.Length, ticks = info.LastWriteTimeUtc.Ticks;
        if (_entries.TryGetValue(path, out var e) && e.Size == size && e.Ticks == ticks) return e.Value;
        string value = compute(path);
        // Remember the stamp read before computing: a file changed meanwhile is re-read next time.
        _entries[path] = (size, ticks, value);
        _changed = true;
        return value;
    }

    /// <summary>
    /// Remembers a value already known for the file as it is now (the key a worker reports it has
    /// just written), so the file is not read back; a later change of its size or time makes
    /// <see cref="Get"/> read it again.
    /// </summary>
    public void Record(string path, string value)
    {
        var info = new FileInfo(path);
        if (!info.Exists) { Forget(path); return; }
        var entry = (info.Length, info.LastWriteTimeUtc.Ticks, value);
        if (_entries.TryGetValue(path, out var e) && e == entry) return;
        _entries[path] = entry;
        _changed = true;
    }

    public void Forget(string path) { if (_entries.TryRemove(path, out _)) _changed = true; }

    public void Save()
    {
        if (!_changed) return;
        var sb = new StringBuilder();
        foreach (var (path, e) in _entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(e.Value).Append('\t').Append(e.Size.ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(e.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(path).Append('\n');
        AtomicFile.WriteAllText(_file, sb.ToString());
        _changed = false;
    }

    public static string Sha256OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }
}
