using System.Globalization;
using System.Net;
using System.Text;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Segments;

namespace VideoDataset.Core.Report;

/// <summary>How a scene fared in the crop: kept whole segments, one padded segment (2-3 s), or dropped (under 2 s).</summary>
public enum SceneFate { Kept, Padded, Dropped }

public sealed record TimelineScene(int Index, double Start, double End, SceneFate Fate, double KeptStart, double KeptEnd);

public sealed record TimelineSequence(int Seconds, int Index, string Video, IReadOnlyList<double> SegmentStarts);

/// <summary>
/// The raw video of one episode as PrepareSegments cuts it: its scenes (what the centred crop
/// removed at both ends, which were padded or dropped), the 3-second segments, and the sequences
/// of each length built from them, following the same rules (<see cref="SegmentPlan.SegmentStarts"/>).
/// </summary>
public sealed record EpisodeTimeline(string Episode, string RawVideo, double Duration, int SegmentSeconds,
    IReadOnlyList<TimelineScene> Scenes, IReadOnlyList<double> SegmentStarts, IReadOnlyList<TimelineSequence> Sequences)
{
    /// <summary>The timelines of every episode of the scene file; a video whose duration cannot be read is left out.</summary>
    public static Dictionary<string, EpisodeTimeline> Read(string sceneFile, string rawEpisodeDir, IReadOnlyList<int> sequenceSeconds,
        int segmentSeconds, Func<string, double> duration)
    {
        var result = new Dictionary<string, EpisodeTimeline>(StringComparer.Ordinal);
        var ignored = new List<Diagnostic>(); // PrepareSegments reports the scene file's problems
        foreach (var (video, scenes) in SceneFile.Read(sceneFile, rawEpisodeDir, ignored))
        {
            double length;
            try { length = duration(scenes[0].VideoPath); }
            catch (DiagnosticException) { continue; }
            string episode = SceneFile.EpisodeName(video);
            var timelineScenes = new List<TimelineScene>();
            var starts = new List<double>();
            foreach (var sc in scenes)
            {
                var kept = SegmentPlan.SegmentStarts(sc.Start, sc.End, segmentSeconds);
                var fate = kept.Count == 0 ? SceneFate.Dropped : sc.Duration < segmentSeconds - 1e-9 ? SceneFate.Padded : SceneFate.Kept;
                timelineScenes.Add(new TimelineScene(sc.Index, sc.Start, sc.End, fate,
                    kept.Count == 0 ? sc.Start : kept[0], kept.Count == 0 ? sc.Start : Math.Min(sc.End, kept[^1] + segmentSeconds)));
                starts.AddRange(kept);
            }
            var sequences = new List<TimelineSequence>();
            foreach (int seconds in sequenceSeconds)
            {
                int n = seconds / segmentSeconds;
                for (int k = 0; n > 0 && (k + 1) * n <= starts.Count; k++)
                    sequences.Add(new TimelineSequence(seconds, k, SegmentPlan.SequenceVideo(episode, seconds, k), starts.GetRange(k * n, n)));
            }
            result[episode] = new EpisodeTimeline(episode, video, length, segmentSeconds, timelineScenes, starts, sequences);
        }
        return result;
    }

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static string T(double s) => s.ToString("0.##", Inv) + " s";

    /// <summary>
    /// The timeline as inline SVG: scenes (light: what the crop removed; dark: what is kept; orange:
    /// padded; grey: dropped), segments, then one lane per sequence length. A sequence links to its
    /// row (by annotation line) when it has one; grey when it has none (a caption is missing).
    /// </summary>
    public string ToSvg(Func<string, int?> lineOfVideo)
    {
        var lengths = Sequences.Select(q => q.Seconds).Distinct().Order().ToList();
        const int W = 1000, left = 70, lane = 22;
        int height = lane * (2 + lengths.Count) + 24;
        double scale = (W - left - 10) / Math.Max(Duration, 1e-6);
        string X(double t) => (left + t * scale).ToString("0.#", Inv);
        string Wd(double d) => Math.Max(1, d * scale).ToString("0.#", Inv);
        var sb = new StringBuilder($"<svg class=\"timeline\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\" data-episode=\"{WebUtility.HtmlEncode(Episode)}\">");
        sb.Append($"<rect x=\"{left}\" y=\"2\" width=\"{Wd(Duration)}\" height=\"{lane - 6}\" fill=\"#eee\"/>");
        void Label(int y, string text) => sb.Append($"<text x=\"2\" y=\"{y + 12}\" font-size=\"11\">{WebUtility.HtmlEncode(text)}</text>");
        Label(2, "scenes");
        foreach (var sc in Scenes)
        {
            string fill = sc.Fate switch { SceneFate.Dropped => "#bbb", SceneFate.Padded => "#f0b05a", _ => "#a9c4ef" };
            string title = $"scene {sc.Index}: {T(sc.Start)}–{T(sc.End)} ({T(sc.End - sc.Start)}), " + sc.Fate switch
            {
                SceneFate.Dropped => "dropped (under 2 s)",
                SceneFate.Padded => "one segment padded to 3 s",
                _ => $"crop removes {T(sc.KeptStart - sc.Start)} at the start and {T(sc.End - sc.KeptEnd)} at the end",
            };
            sb.Append($"<g class=\"scene {sc.Fate.ToString().ToLowerInvariant()}\"><title>{WebUtility.HtmlEncode(title)}</title>");
            sb.Append($"<rect x=\"{X(sc.Start)}\" y=\"2\" width=\"{Wd(sc.End - sc.Start)}\" height=\"{lane - 6}\" fill=\"{fill}\" stroke=\"#fff\"/>");
            if (sc.Fate == SceneFate.Kept)
                sb.Append($"<rect x=\"{X(sc.KeptStart)}\" y=\"2\" width=\"{Wd(sc.KeptEnd - sc.KeptStart)}\" height=\"{lane - 6}\" fill=\"#3f6fc4\"/>");
            sb.Append("</g>");
        }
        int y0 = lane;
        Label(y0, "segments");
        for (int i = 0; i < SegmentStarts.Count; i++)
            sb.Append($"<rect class=\"segment\" x=\"{X(SegmentStarts[i])}\" y=\"{y0 + 2}\" width=\"{Wd(SegmentSeconds)}\" height=\"{lane - 6}\" fill=\"{(i % 2 == 0 ? "#6a9" : "#486")}\" stroke=\"#fff\"><title>segment {i}: {T(SegmentStarts[i])}–{T(SegmentStarts[i] + SegmentSeconds)}</title></rect>");
        for (int li = 0; li < lengths.Count; li++)
        {
            int y = lane * (2 + li);
            Label(y, $"{lengths[li]} s");
            foreach (var q in Sequences.Where(q => q.Seconds == lengths[li]))
            {
                int? line = lineOfVideo(q.Video);
                string fill = line is null ? "#ccc" : q.Index % 2 == 0 ? "#b07acc" : "#7d4a99";
                string title = $"{q.Video}" + (line is null ? " (no annotation line: a caption is missing)" : $", annotation line {line}");
                sb.Append(line is null ? "<g>" : $"<a href=\"#line-{line}\">");
                sb.Append($"<title>{WebUtility.HtmlEncode(title)}</title>");
                foreach (double s in q.SegmentStarts)
                    sb.Append($"<rect class=\"sequence\" x=\"{X(s)}\" y=\"{y + 2}\" width=\"{Wd(SegmentSeconds)}\" height=\"{lane - 6}\" fill=\"{fill}\" stroke=\"#fff\"/>");
                sb.Append(line is null ? "</g>" : "</a>");
            }
        }
        sb.Append($"<text x=\"{left}\" y=\"{height - 4}\" font-size=\"10\">0 s</text><text x=\"{W - 10}\" y=\"{height - 4}\" font-size=\"10\" text-anchor=\"end\">{T(Duration)} ({WebUtility.HtmlEncode(RawVideo)})</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }
}
