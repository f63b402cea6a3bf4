using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Staleness;

namespace VideoDataset.Core.Segments;

/// <summary>
/// From scenes to sequences: crops each scene to whole segments, centred; groups an
/// episode's consecutive segments into sequences of each configured length; gives every sequence
/// a key (the raw video's content, its segment times, fps, size, encoder and version) and the
/// annotation line it contributes. Loads nothing but the two JSON Lines files, content hashes and
/// durations (both through caches).
/// </summary>
public sealed class SegmentPlan
{
    public const string Version = "1";
    public const double MinSceneSeconds = 2;
    /// <summary>Times closer than this are equal (container timestamps are often rounded to milliseconds).</summary>
    public const double TimeTolerance = 0.0005;

    public const string SceneDropped = "VDS6020";
    public const string MissingCaption = "VDS6021";
    public const string BadSequenceSeconds = "VDS6030";

    public required DatasetSettings Settings { get; init; }
    /// <summary>The sequence lengths made, in seconds (SequenceSeconds parsed).</summary>
    public required IReadOnlyList<int> SequenceSeconds { get; init; }
    public required IReadOnlyList<Diagnostic> Diagnostics { get; init; }
    public required IReadOnlyList<PlannedSequence> Sequences { get; init; }
    public required int DroppedScenes { get; init; }

    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);

    /// <summary>
    /// Start times of the segments a scene keeps (seed crop): a scene of d ≥ S seconds keeps
    /// S·floor(d/S) seconds centred; 2 ≤ d &lt; S gives one padded segment from the scene's start;
    /// shorter scenes give none.
    /// </summary>
    public static IReadOnlyList<double> SegmentStarts(double start, double end, int segmentSeconds)
    {
        double d = end - start;
        if (d < MinSceneSeconds - 1e-9) return [];
        if (d < segmentSeconds - 1e-9) return [Round(start)];
        int n = (int)Math.Floor(d / segmentSeconds + 1e-9);
        double first = start + (d - n * segmentSeconds) / 2;
        return Enumerable.Range(0, n).Select(j => Round(first + j * segmentSeconds)).ToArray();
    }

    static double Round(double t) => Math.Round(t, 6);

    public static string SegmentId(string episode, int scene, int segment) =>
        string.Create(CultureInfo.InvariantCulture, $"{episode}/scene{scene:D3}_seg{segment:D2}");

    public static string SequenceVideo(string episode, int seconds, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{episode}/{seconds}s_{index:D4}.mp4");

    /// <summary>Parses "3;9;18" into lengths that are positive multiples of the segment length.</summary>
    public static List<int> ParseSequenceSeconds(string text, int segmentSeconds, string projectFile, List<Diagnostic> diagnostics)
    {
        var result = new SortedSet<int>();
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int s) && s > 0 && s % segmentSeconds == 0) result.Add(s);
            else diagnostics.Add(Diagnostic.Error(BadSequenceSeconds, projectFile, 0, 0,
                $"SequenceSeconds: '{part}' is not a positive multiple of SegmentSeconds ({segmentSeconds}); expected e.g. '3;9;18;30;63'."));
        }
        if (result.Count == 0 && !diagnostics.Any(d => d.Code == BadSequenceSeconds))
            diagnostics.Add(Diagnostic.Error(BadSequenceSeconds, projectFile, 0, 0, "SequenceSeconds is empty: expected lengths such as '3;9;18;30;63'."));
        return result.ToList();
    }

    /// <param name="contentHash">SHA-256 of a raw video (cached by the caller).</param>
    /// <param name="duration">Duration in seconds of a raw video (cached by the caller); throws DiagnosticException when unreadable.</param>
    /// <param name="s">The settings, paths absolute.</param>
    /// <param name="sequenceSeconds">The lengths to make (<see cref="ParseSequenceSeconds"/>).</param>
    public static SegmentPlan Create(DatasetSettings s, IReadOnlyList<int> sequenceSeconds, Func<string, string> contentHash, Func<string, double> duration)
    {
        var diagnostics = new List<Diagnostic>();
        var videos = SceneFile.Read(s.SceneFile, s.RawEpisodeDir, diagnostics);
        var captions = CaptionFile.Read(s.CaptionFile, diagnostics);
        string sceneFile = Path.GetFullPath(s.SceneFile);
        var sequences = new List<PlannedSequence>();
        var usedCaptions = new HashSet<string>(StringComparer.Ordinal);
        var missingReported = new HashSet<string>(StringComparer.Ordinal);
        int dropped = 0;

        foreach (var (video, scenes) in videos)
        {
            string episode = SceneFile.EpisodeName(video);
            string rawPath = scenes[0].VideoPath;
            double length;
            try { length = duration(rawPath); }
            catch (DiagnosticException e) { diagnostics.Add(e.Diagnostic); continue; }
            var late = scenes.Where(sc => sc.End > length + TimeTolerance).ToList();
            foreach (var sc in late)
                diagnostics.Add(Diagnostic.Error(SceneFile.PastEnd, sceneFile, sc.Line, sc.EndColumn,
                    $"The scene ends at {SceneFile.Format(sc.End)}, past the end of '{video}' ({SceneFile.Format(length)})."));
            if (late.Count > 0) continue;

            var segments = new List<PlannedSegment>();
            foreach (var sc in scenes)
            {
                var starts = SegmentStarts(sc.Start, sc.End, s.SegmentSeconds);
                if (starts.Count == 0)
                {
                    dropped++;
                    diagnostics.Add(Diagnostic.Warning(SceneDropped, sceneFile, sc.Line, 1,
                        $"Scene {sc.Index} of '{video}' is {SceneFile.Format(sc.Duration)} long, shorter than {MinSceneSeconds:0} s: it is dropped."));
                    continue;
                }
                for (int j = 0; j < starts.Count; j++)
                    segments.Add(new PlannedSegment(SegmentId(episode, sc.Index, j), sc.Index, j, starts[j], Round(sc.End),
                        j == 0, j == starts.Count - 1, sc.Duration < s.SegmentSeconds - 1e-9));
            }

            string? rawSha = null;
            foreach (int seconds in sequenceSeconds)
            {
                int n = seconds / s.SegmentSeconds;
                for (int k = 0; (k + 1) * n <= segments.Count; k++)
                {
                    var members = segments.GetRange(k * n, n);
                    List<string>? texts = new(n);
                    foreach (var seg in members)
                    {
                        usedCaptions.Add(seg.Id);
                        if (captions.TryGetValue(seg.Id, out var c)) { texts?.Add(c.Text); continue; }
                        texts = null;
                        if (missingReported.Add(seg.Id))
                            diagnostics.Add(Diagnostic.Warning(MissingCaption, Path.GetFullPath(s.CaptionFile), 0, 0,
                                $"Segment '{seg.Id}' ({SceneFile.Format(seg.Start)} of '{video}') has no caption: the sequences holding it get no annotation line."));
                    }
                    rawSha ??= contentHash(rawPath);
                    string rel = SequenceVideo(episode, seconds, k);
                    sequences.Add(new PlannedSequence(episode, rawPath, rawSha, seconds, k, members, rel,
                        Path.Combine(s.EpisodeDir, rel), Key(rawSha, members, seconds, s), texts));
                }
            }
        }
        // Only when every episode was read: an episode left out for an error would make its captions look unused.
        bool complete = !diagnostics.Any(d => d.Severity == Severity.Error);
        foreach (var c in captions.Values.Where(c => complete && !usedCaptions.Contains(c.Segment)))
                diagnostics.Add(Diagnostic.Warning(CaptionFile.UnknownSegment, Path.GetFullPath(s.CaptionFile), c.Line, c.Column,
                    $"No sequence holds segment '{c.Segment}' (no such segment, or it falls in no whole sequence): its caption is unused."));
        // In file then line order, as a reader goes through the files.
        var ordered = diagnostics.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ToList();
        return new SegmentPlan { Settings = s, SequenceSeconds = sequenceSeconds, Diagnostics = ordered, Sequences = sequences, DroppedScenes = dropped };
    }

    /// <summary>The key a sequence video records: what its frames are made from.</summary>
    public static string Key(string rawSha256, IReadOnlyList<PlannedSegment> segments, int seconds, DatasetSettings s)
    {
        var sb = new StringBuilder();
        sb.Append("videodataset-segments/").Append(Version).Append('\n')
          .Append("raw=").Append(rawSha256).Append('\n')
          .Append(CultureInfo.InvariantCulture, $"fps={s.Fps}\nsegment={s.SegmentSeconds}\nsize={s.FrameWidth}x{s.FrameHeight}\nseconds={seconds}\n")
          .Append("encoder=").Append(SequenceEncoder.Settings).Append('\n');
        foreach (var seg in segments)
            sb.Append(CultureInfo.InvariantCulture, $"seg={seg.Start:R}@{seg.SceneEnd:R}\n");
        return Recipes.Sha256Hex(sb.ToString());
    }

    static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The annotation file (DESIGN §1): one line per captioned sequence for which <paramref name="include"/>
    /// holds (its video is current), in scene-file episode order, then length, then index.
    /// </summary>
    public string AnnotationContent(Func<PlannedSequence, bool> include)
    {
        var sb = new StringBuilder();
        using var buffer = new MemoryStream();
        foreach (var q in Sequences)
        {
            if (!q.Captioned || !include(q)) continue;
            buffer.SetLength(0);
            using (var w = new Utf8JsonWriter(buffer, JsonOptions))
            {
                w.WriteStartObject();
                w.WriteString("video", q.Video);
                w.WriteStartArray("scene_start");
                foreach (var seg in q.Segments) w.WriteBooleanValue(seg.IsSceneStart);
                w.WriteEndArray();
                w.WriteStartArray("scene_end");
                foreach (var seg in q.Segments) w.WriteBooleanValue(seg.IsSceneEnd);
                w.WriteEndArray();
                for (int i = 0; i < q.Texts!.Count; i++) w.WriteString($"text_{i}", q.Texts[i]);
                w.WriteEndObject();
            }
            sb.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
        }
        return sb.ToString();
    }
}
