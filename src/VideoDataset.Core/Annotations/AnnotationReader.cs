using System.Text.Json;
using System.Text.RegularExpressions;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Annotations;

/// <summary>What an annotation file holds: its valid lines, and every problem of the others.</summary>
public sealed record AnnotationSet(IReadOnlyList<AnnotationEntry> Entries, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// Reads the JSON Lines annotation file of DESIGN §1. Every line is checked, so one run reports
/// every bad line; a bad line is left out of the entries and the others go on.
/// </summary>
public static partial class AnnotationReader
{
    static readonly JsonLineFormat Format = new("{\"video\": ..., \"text_0\": ...}", DiagnosticCodes.AnnotationMalformedJson, DiagnosticCodes.AnnotationNotAnObject, DiagnosticCodes.AnnotationInvalidUtf8, DiagnosticCodes.AnnotationDuplicateKey);

    [GeneratedRegex(@"^text_(0|[1-9][0-9]{0,5})$")]
    private static partial Regex TextKey();

    /// <param name="checkExists">
    /// Whether a video's existence is checked (default: every video). A shard checks only its own:
    /// another shard's missing video is that shard's error, reported once, not by every shard.
    /// </param>
    /// <param name="cache">
    /// Where the parsed lines of a file without a bad line are remembered (by its bytes), so a file
    /// read before is not parsed again; the file system checks and the duplicate checks run every time.
    /// </param>
    /// <param name="content">
    /// The file's content when it is only planned, not yet written (DatasetStatus before the final
    /// build writes the annotation file from the scene file); null: read the file.
    /// </param>
    public static AnnotationSet Read(string annotationFile, string episodeDir, Func<string, bool>? checkExists = null, AnnotationParseCache? cache = null, byte[]? content = null)
    {
        var entries = new List<AnnotationEntry>();
        var diagnostics = new List<Diagnostic>();
        string file = Path.GetFullPath(annotationFile);
        if (content is null && !File.Exists(file))
        {
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.AnnotationFileMissing, file, 0, 0, $"The annotation file was not found (AnnotationFile = '{annotationFile}')."));
            return new AnnotationSet(entries, diagnostics);
        }
        var resolver = new Resolver(file, Path.GetFullPath(episodeDir), checkExists, entries, diagnostics);
        byte[] bytes = content ?? File.ReadAllBytes(file);
        if (cache?.Load(bytes) is { } known)
        {
            var videos = resolver.Stat(known);
            for (int i = 0; i < known.Count; i++) resolver.Add(known[i], videos[i]);
            return new AnnotationSet(entries, diagnostics);
        }

        var lines = new List<ParsedLine>();
        int resolverDiagnostics = 0;
        foreach (var line in JsonLinesReader.Read(file, bytes, Format, diagnostics))
        {
            var parsed = Parse(file, line, diagnostics);
            lines.Add(parsed);
            int before = diagnostics.Count;
            resolver.Add(parsed);
            resolverDiagnostics += diagnostics.Count - before;
        }
        // Only a file whose every line parsed is remembered: a bad line is reported by every build.
        if (diagnostics.Count == resolverDiagnostics) cache?.Remember(bytes, lines);
        return new AnnotationSet(entries, diagnostics);
    }

    /// <summary>
    /// The checks that ask the file system (the video exists, stays inside EpisodeDir) and the
    /// duplicate checks, in line order, after a line's own checks; adds the valid lines' entries.
    /// </summary>
    sealed class Resolver(string file, string root, Func<string, bool>? checkExists, List<AnnotationEntry> entries, List<Diagnostic> diagnostics)
    {
        readonly Dictionary<string, int> _seenVideos = new(StringComparer.Ordinal);
        readonly Dictionary<string, int> _seenOutputs = new(StringComparer.Ordinal);
        readonly EpisodePath.InsideCheck _inside = new(root);

        /// <summary>
        /// Each line's video, its status read (one stat per video, on both cores: the stats are most
        /// of a no-op build's time); null for a video this build does not check.
        /// </summary>
        public FileInfo?[] Stat(IReadOnlyList<ParsedLine> lines)
        {
            var videos = new FileInfo?[lines.Count];
            Parallel.For(0, lines.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(4, Environment.ProcessorCount) }, i =>
            {
                string? video = lines[i].Video;
                if (video is null || (checkExists is not null && !checkExists(video))) return;
                var info = new FileInfo(Path.Combine(root, video));
                _ = info.Exists; // the stat, now; the FileInfo keeps what it found
                videos[i] = info;
            });
            return videos;
        }

        /// <param name="video">The line's video with its status already read (<see cref="Stat"/>), if it was.</param>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Add(ParsedLine parsed, FileInfo? video = null)
        {
            if (parsed.Video is null) return;
            void Error(string code, int col, string message) => diagnostics.Add(Diagnostic.Error(code, file, parsed.Line, col, message));
            string videoPath = Path.Combine(root, parsed.Video);
            bool found = true;
            if (checkExists is null || checkExists(parsed.Video))
            {
                // One stat serves the checks here and the content hash's cache later (a plain file);
                // a link or anything else takes the general path.
                video ??= new FileInfo(videoPath);
                if (!EpisodePath.IsPlainFile(video) && !File.Exists(videoPath))
                {
                    Error(DiagnosticCodes.AnnotationVideoNotFound, parsed.VideoColumn, $"Video not found: expected a file at '{videoPath}'.");
                    found = false;
                }
                else if (!_inside.StaysInside(video))
                {
                    Error(DiagnosticCodes.AnnotationPathOutsideEpisodeDir, parsed.VideoColumn, $"'{parsed.Video}' resolves (through a symbolic link) to '{EpisodePath.Resolve(videoPath)}', outside EpisodeDir '{root}'.");
                    found = false;
                }
            }
            if (!found || parsed.Texts is null) return;
            var entry = new AnnotationEntry(parsed.Line, parsed.Video, videoPath, parsed.Texts, parsed.Starts!, parsed.Ends!)
            {
                VideoStamp = video is not null && EpisodePath.IsPlainFile(video) ? (video.Length, video.LastWriteTimeUtc.Ticks) : null,
            };
            if (_seenVideos.TryGetValue(entry.Video, out int first))
            {
                Error(DiagnosticCodes.AnnotationDuplicateVideo, 1, $"Video '{entry.Video}' is annotated twice: expected one line per video, found another on line {first}.");
                return;
            }
            if (_seenOutputs.TryGetValue(entry.LatentRelativePath, out int other))
            {
                Error(DiagnosticCodes.AnnotationDuplicateOutput, 1, $"Video '{entry.Video}' would write '{entry.LatentRelativePath}', which line {other}'s video also writes: video names must differ by more than their extension.");
                return;
            }
            _seenVideos[entry.Video] = parsed.Line;
            _seenOutputs[entry.LatentRelativePath] = parsed.Line;
            entries.Add(entry);
        }
    }

    /// <summary>
    /// A line's own checks (no file system): the normalised video name when the line gives a usable
    /// one, and its texts and flags when the line has no error.
    /// </summary>
    static ParsedLine Parse(string file, JsonLineObject line, List<Diagnostic> diagnostics)
    {
        int lineNumber = line.Line;
        void Error(string code, int col, string message) => diagnostics.Add(Diagnostic.Error(code, file, lineNumber, col, message));
        var properties = line.Properties;
        JsonLineProperty? Find(string name) => line.Find(name);
        int errorsBefore = diagnostics.Count;

        // video (or its alias mp4)
        var video = Find("video");
        var alias = Find("mp4");
        string? videoName = null;
        int videoColumn = 1;
        if (video is null && alias is null)
            Error(DiagnosticCodes.AnnotationBadVideoField, 1, "Missing \"video\": expected the video's path relative to EpisodeDir (or \"mp4\").");
        else if (video is not null && alias is not null && !(video.Value.ValueKind == JsonValueKind.String && alias.Value.ValueKind == JsonValueKind.String && video.Value.GetString() == alias.Value.GetString()))
            Error(DiagnosticCodes.AnnotationBadVideoField, alias.Column, "Both \"video\" and \"mp4\" are given and differ: expected one path.");
        else
        {
            var p = (video ?? alias)!;
            videoColumn = p.Column;
            if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                Error(DiagnosticCodes.AnnotationBadVideoField, p.Column, $"\"{p.Name}\" must be a non-empty string path, found {JsonLinesReader.Describe(p.Value)}.");
            else videoName = p.Value.GetString();
        }

        bool[]? starts = ReadFlags(Find("scene_start"), "scene_start", Error);
        bool[]? ends = ReadFlags(Find("scene_end"), "scene_end", Error);
        if (starts is not null && ends is not null && starts.Length != ends.Length)
            Error(DiagnosticCodes.AnnotationFlagLengthMismatch, Find("scene_end")!.Column, $"\"scene_end\" has {ends.Length} entries but \"scene_start\" has {starts.Length}: expected one flag per segment in both.");

        // Texts: text_0 .. text_{n-1}, n = the flag arrays' length.
        var texts = new SortedDictionary<int, JsonLineProperty>();
        foreach (var p in properties)
        {
            var m = TextKey().Match(p.Name);
            if (m.Success) texts[int.Parse(m.Groups[1].Value)] = p;
            else if (p.Name.StartsWith("text_", StringComparison.Ordinal))
                Error(DiagnosticCodes.AnnotationBadText, p.NameColumn, $"Unexpected key \"{p.Name}\": expected text_0, text_1, ... (one per segment).");
        }
        int? n = starts is not null && ends is not null && starts.Length == ends.Length ? starts.Length : null;
        var textValues = new List<string>();
        if (n == 0)
            Error(DiagnosticCodes.AnnotationNoSegments, Find("scene_start")!.Column, "The flag arrays are empty: expected at least one segment (one text per 3-second segment).");
        if (n is int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (!texts.TryGetValue(i, out var t))
                    Error(DiagnosticCodes.AnnotationMissingText, 1, $"Missing \"text_{i}\": the flag arrays have {count} entries, so text_0..text_{count - 1} are expected.");
                else if (t.Value.ValueKind != JsonValueKind.String)
                    Error(DiagnosticCodes.AnnotationBadText, t.Column, $"\"text_{i}\" must be a string, found {JsonLinesReader.Describe(t.Value)}.");
                else textValues.Add(t.Value.GetString()!);
            }
            foreach (var (i, t) in texts)
                if (i >= count)
                    Error(DiagnosticCodes.AnnotationExtraText, t.NameColumn, $"Unexpected \"text_{i}\": the flag arrays have {count} entries, so only text_0..text_{count - 1} are expected.");
        }

        string? normalisedName = null;
        if (videoName is not null)
        {
            var (normalised, problem) = EpisodePath.Normalise(videoName);
            if (problem is not null) Error(DiagnosticCodes.AnnotationPathOutsideEpisodeDir, videoColumn, problem);
            else normalisedName = normalised;
        }

        bool valid = diagnostics.Count == errorsBefore && n is not null && normalisedName is not null;
        return new ParsedLine(lineNumber, normalisedName, videoColumn,
            valid ? textValues.ToArray() : null, valid ? starts : null, valid ? ends : null);
    }

    static bool[]? ReadFlags(JsonLineProperty? p, string name, Action<string, int, string> error)
    {
        if (p is null)
        {
            error(DiagnosticCodes.AnnotationBadFlags, 1, $"Missing \"{name}\": expected an array of booleans, one per segment.");
            return null;
        }
        if (p.Value.ValueKind != JsonValueKind.Array)
        {
            error(DiagnosticCodes.AnnotationBadFlags, p.Column, $"\"{name}\" must be an array of booleans, found {JsonLinesReader.Describe(p.Value)}.");
            return null;
        }
        var flags = new List<bool>();
        int index = 0;
        foreach (var item in p.Value.EnumerateArray())
        {
            if (item.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error(DiagnosticCodes.AnnotationBadFlags, p.Column, $"\"{name}\"[{index}] must be true or false, found {JsonLinesReader.Describe(item)}.");
                return null;
            }
            flags.Add(item.GetBoolean());
            index++;
        }
        return flags.ToArray();
    }
}
