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
    readonly ConcurrentDictionary<string, (long Size, long Ticks, string Value)> _entries;
    bool _changed;

    FileStampCache(string file, int capacity)
    {
        _file = file;
        _entries = new(Environment.ProcessorCount, capacity, StringComparer.Ordinal);
    }

    // Entries of other builds' caches (the shards'), read-only: used when this cache lacks the file and the stamp still matches.
    // Only touched under _borrowing (Get runs in parallel).
    readonly Dictionary<string, (long Size, long Ticks, string Value)> _borrowed = new(StringComparer.Ordinal);

    public static FileStampCache Load(string file) => Load(file, []);

    /// <summary>
    /// This build's cache, plus the entries of <paramref name="borrowFrom"/> (the shards' caches, for
    /// the final step): a value another build computed for a file whose size and time still match is
    /// as good as our own, so the final step does not hash again what the shards hashed.
    /// </summary>
    public static FileStampCache Load(string file, IEnumerable<string> borrowFrom)
    {
        var entries = Read(file) ?? []; // a cache is only a shortcut: an unreadable one starts over
        var cache = new FileStampCache(file, entries.Count + 64) { _borrowFrom = borrowFrom.ToList() };
        foreach (var (path, e) in entries) cache._entries[path] = e;
        return cache;
    }

    // The borrowed caches are read only when this one first lacks a file: a no-op build reads none.
    List<string> _borrowFrom = [];
    readonly Lock _borrowing = new();

    bool Borrowed(string path, out (long Size, long Ticks, string Value) entry)
    {
        lock (_borrowing)
        {
            foreach (string other in _borrowFrom)
            {
                foreach (var (p, e) in Read(other) ?? []) _borrowed.TryAdd(p, e);
            }
            _borrowFrom = [];
            return _borrowed.TryGetValue(path, out entry);
        }
    }

    // One line: value, size, ticks, path, tab-separated; parsed from the bytes with no split, since
    // a no-op build of 100,000 videos reads 200,000 lines.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static List<(string Path, (long Size, long Ticks, string Value) Entry)>? Read(string file)
    {
        if (!File.Exists(file)) return [];
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (IOException) { return null; }
        var into = new List<(string, (long, long, string))>(bytes.AsSpan().Count((byte)'\n'));
        var rest = bytes.AsSpan();
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            int t1 = line.IndexOf((byte)'\t');
            if (t1 < 0) continue;
            var afterValue = line[(t1 + 1)..];
            int t2 = afterValue.IndexOf((byte)'\t');
            if (t2 < 0) continue;
            var afterSize = afterValue[(t2 + 1)..];
            int t3 = afterSize.IndexOf((byte)'\t');
            if (t3 < 0) continue;
            if (System.Buffers.Text.Utf8Parser.TryParse(afterValue[..t2], out long size, out int used1) && used1 == t2
                && System.Buffers.Text.Utf8Parser.TryParse(afterSize[..t3], out long ticks, out int used2) && used2 == t3)
                into.Add((Encoding.UTF8.GetString(afterSize[(t3 + 1)..]), (size, ticks, Encoding.UTF8.GetString(line[..t1]))));
        }
        return into;
    }

    /// <summary>The cached value when the file's size and time are unchanged; otherwise computes, remembers and returns it.</summary>
    public string Get(string path, Func<string, string> compute)
    {
        var info = new FileInfo(path);
        return Get(path, (info.Length, info.LastWriteTimeUtc.Ticks), compute);
    }

    /// <summary>The same, with the file's size and time as the caller's own stat just found them (one stat serves both).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string Get(string path, (long Size, long Ticks) stamp, Func<string, string> compute)
    {
        var (size, ticks) = stamp;
        if (_entries.TryGetValue(path, out var e) && e.Size == size && e.Ticks == ticks) return e.Value;
        string value = Borrowed(path, out var b) && b.Size == size && b.Ticks == ticks ? b.Value : compute(path);
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
