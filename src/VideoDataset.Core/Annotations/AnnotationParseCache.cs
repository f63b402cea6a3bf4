using System.Security.Cryptography;
using System.Text;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Annotations;

/// <summary>
/// The parsed lines of an annotation file, remembered by the SHA-256 of the file's bytes and of the
/// reader's own code, so a no-op build does not parse 100,000 JSON lines again. Hashing the bytes
/// costs a fraction of parsing them and needs no timestamp: any edit, even one that keeps the
/// size and time, parses anew. Only a file with no bad line is remembered (its lines are
/// diagnostics-free), and what needs the file system (a video exists, stays inside EpisodeDir) is
/// checked by every build. The cache is written atomically, only when it changes, and carries a
/// checksum: a damaged or foreign cache is ignored, never trusted.
/// </summary>
public sealed class AnnotationParseCache(string file)
{
    const string Magic = "videodataset-parsed-annotations/1";

    // A new build of the reader (a changed check) must not trust lines an older one parsed.
    static readonly Guid ReaderVersion = typeof(AnnotationParseCache).Assembly.ManifestModule.ModuleVersionId;

    byte[]? _pending;

    public string File => file;

    /// <summary>The lines remembered for a file of these bytes; null when none are (or the cache is unreadable).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public IReadOnlyList<ParsedLine>? Load(byte[] annotationBytes)
    {
        try
        {
            if (!System.IO.File.Exists(file)) return null;
            byte[] data = System.IO.File.ReadAllBytes(file);
            if (data.Length < 32 || !SHA256.HashData(data.AsSpan(0, data.Length - 32)).AsSpan().SequenceEqual(data.AsSpan(data.Length - 32))) return null;
            using var r = new BinaryReader(new MemoryStream(data, 0, data.Length - 32), Encoding.UTF8);
            if (r.ReadString() != Magic || !r.ReadBytes(32).AsSpan().SequenceEqual(Identity(annotationBytes))) return null;
            var lines = new ParsedLine[r.ReadInt32()];
            for (int i = 0; i < lines.Length; i++)
            {
                int line = r.ReadInt32(), column = r.ReadInt32();
                string video = r.ReadString();
                int n = r.ReadInt32();
                var texts = new string[n];
                var starts = new bool[n];
                var ends = new bool[n];
                for (int k = 0; k < n; k++) { texts[k] = r.ReadString(); starts[k] = r.ReadBoolean(); ends[k] = r.ReadBoolean(); }
                lines[i] = new ParsedLine(line, video, column, texts, starts, ends);
            }
            return r.BaseStream.Position == r.BaseStream.Length ? lines : null;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or FormatException or ArgumentException or UnauthorizedAccessException or OverflowException or OutOfMemoryException)
        {
            return null; // a cache is only a shortcut: parse the file instead
        }
    }

    /// <summary>Remembers the lines of a file with no bad line, for <see cref="Save"/>; every line must be valid.</summary>
    public void Remember(byte[] annotationBytes, IReadOnlyList<ParsedLine> lines)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Identity(annotationBytes));
            w.Write(lines.Count);
            foreach (var l in lines)
            {
                w.Write(l.Line);
                w.Write(l.VideoColumn);
                w.Write(l.Video ?? throw new ArgumentException("Only valid lines are remembered.", nameof(lines)));
                var texts = l.Texts ?? throw new ArgumentException("Only valid lines are remembered.", nameof(lines));
                w.Write(texts.Length);
                for (int k = 0; k < texts.Length; k++) { w.Write(texts[k]); w.Write(l.Starts![k]); w.Write(l.Ends![k]); }
            }
        }
        buffer.Write(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))); // the checksum of all before it
        _pending = buffer.ToArray();
    }

    /// <summary>Writes what <see cref="Remember"/> was given, if anything, atomically.</summary>
    public void Save()
    {
        if (_pending is null) return;
        AtomicFile.WriteAllBytes(file, _pending);
        _pending = null;
    }

    static byte[] Identity(byte[] annotationBytes)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(ReaderVersion.ToByteArray());
        h.AppendData(annotationBytes);
        return h.GetHashAndReset();
    }
}
