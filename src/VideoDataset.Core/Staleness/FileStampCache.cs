using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Staleness;

/// <summary>
/// A value derived from a file's content (its SHA-256, or the key an output records), remembered
/// by (path, size, last-write time) so a no-op build does not re-read terabytes of video.
/// The file lives in the build's state folder (<c>DatasetSettings.StateDir</c>), one per project and
/// shard: shards sharing a DatasetDir, or a project folder, never rewrite one common state file.
/// Nothing in it is host-local: a size, a time and a value derived from content are true from
/// every machine that mounts the file.
/// </summary>
public sealed class FileStampCache
{
    readonly string _file;
    readonly ConcurrentDictionary<string, (long Size, long Ticks, string Value)> _entries = new(StringComparer.Ordinal);
    bool _changed;

    FileStampCache(string file) { _file = file; }

    // Entries of other builds' caches (the shards'), read-only: used when this cache lacks the file and the stamp still matches.
    readonly Dictionary<string, (long Size, long Ticks, string Value)> _borrowed = new(StringComparer.Ordinal);

    public static FileStampCache Load(string file) => Load(file, []);

    /// <summary>
    /// This build's cache, plus the entries of <paramref name="borrowFrom"/> (the shards' caches, for
    /// the final step): a value another build computed for a file whose size and time still match is
    /// as good as our own, so the final step does not hash again what the shards hashed.
    /// </summary>
    public static FileStampCache Load(string file, IEnumerable<string> borrowFrom)
    {
        var cache = new FileStampCache(file);
        if (!Read(file, cache._entries)) cache._entries.Clear(); // a cache is only a shortcut: start over
        foreach (string other in borrowFrom)
        {
            var entries = new Dictionary<string, (long, long, string)>(StringComparer.Ordinal);
            if (Read(other, entries))
                foreach (var (path, e) in entries) cache._borrowed.TryAdd(path, e);
        }
        return cache;
    }

    static bool Read(string file, IDictionary<string, (long Size, long Ticks, string Value)> into)
    {
        if (!File.Exists(file)) return true;
        try
        {
            foreach (string line in File.ReadLines(file))
            {
                var f = line.Split('\t', 4);
                if (f.Length == 4 && long.TryParse(f[1], CultureInfo.InvariantCulture, out long size) && long.TryParse(f[2], CultureInfo.InvariantCulture, out long ticks))
                    into[f[3]] = (size, ticks, f[0]);
            }
            return true;
        }
        catch (IOException) { return false; }
    }

    /// <summary>The cached value when the file's size and time are unchanged; otherwise computes, remembers and returns it.</summary>
    public string Get(string path, Func<string, string> compute)
    {
        var info = new FileInfo(path);
        long size = info.Length, ticks = info.LastWriteTimeUtc.Ticks;
        if (_entries.TryGetValue(path, out var e) && e.Size == size && e.Ticks == ticks) return e.Value;
        string value = _borrowed.TryGetValue(path, out var b) && b.Size == size && b.Ticks == ticks ? b.Value : compute(path);
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
