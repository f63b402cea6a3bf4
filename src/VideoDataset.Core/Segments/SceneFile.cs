using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Segments;

/// <summary>
/// One scene of a raw episode video: [Start, End) in seconds from the video's first frame.
/// <see cref="Index"/> counts the video's scene lines from 0 in file order (dropped ones too), so
/// segment ids stay the same when another scene's length changes.
/// </summary>
public sealed record Scene(int Line, int EndColumn, string Video, string VideoPath, int Index, double Start, double End)
{
    public double Duration => End - Start;
}

/// <summary>
/// Reads the scene file (JSON Lines, one scene per line:
/// <c>{"video": "ep01.mkv", "start": 12.5, "end": "00:00:21.000"}</c>), the scenes of a video in
/// time order. Every line is checked; a video with any bad scene line is left out whole.
/// </summary>
public static partial class SceneFile
{
    public const string Malformed = "VDS6001";
    public const string BadVideo = "VDS6003";
    public const string BadTime = "VDS6004";
    public const string EmptyScene = "VDS6005";
    public const string Unordered = "VDS6006";
    public const string VideoNotFound = "VDS6007";
    public const string PastEnd = "VDS6008";
    public const string FileMissing = "VDS6009";
    public const string UnknownKey = "VDS6010";
    public const string EpisodeClash = "VDS6011";

    static readonly JsonLineFormat LineFormat = JsonLineFormat.OneCode("{\"video\": ..., \"start\": ..., \"end\": ...}", Malformed);

    // [[HH:]MM:]SS[.fraction]; minutes and seconds below 60 when a larger unit precedes them.
    [GeneratedRegex(@"^(?:(?:(\d+):)?([0-5]?\d):)?(\d+)(\.\d+)?$")]
    private static partial Regex Timecode();

    /// <summary>Seconds of a number or timecode string; null with a reason when it is not one.</summary>
    public static (double? Seconds, string? Problem) ParseTime(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            double s = value.GetDouble();
            return s >= 0 && double.IsFinite(s) ? (s, null) : (null, $"expected a time of 0 seconds or more, found {value.GetRawText()}");
        }
        if (value.ValueKind != JsonValueKind.String)
            return (null, $"expected seconds (a number) or a timecode string \"HH:MM:SS.mmm\", found {JsonLinesReader.Describe(value)}");
        string text = value.GetString()!;
        var m = Timecode().Match(text);
        bool hasMinutes = m.Success && m.Groups[2].Success;
        if (!m.Success || (hasMinutes && m.Groups[3].Value.Length > 2) || (hasMinutes && int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) >= 60))
            return (null, $"bad timecode \"{text}\": expected [[HH:]MM:]SS[.fraction], e.g. \"00:01:02.500\", with minutes and seconds below 60");
        double seconds = (m.Groups[1].Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 3600.0 : 0)
            + (hasMinutes ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * 60.0 : 0)
            + double.Parse(m.Groups[3].Value + (m.Groups[4].Success ? m.Groups[4].Value : ""), CultureInfo.InvariantCulture);
        return (seconds, null);
    }

    /// <summary>The valid scenes, grouped by video in first-appearance order; problems go to <paramref name="diagnostics"/>.</summary>
    public static List<(string Video, List<Scene> Scenes)> Read(string sceneFile, string rawEpisodeDir, List<Diagnostic> diagnostics)
    {
        string file = Path.GetFullPath(sceneFile);
        var byVideo = new List<(string Video, List<Scene> Scenes)>();
        if (!File.Exists(file))
        {
            diagnostics.Add(Diagnostic.Error(FileMissing, file, 0, 0, $"The scene file was not found (SceneFile = '{sceneFile}')."));
            return byVideo;
        }
        string root = Path.GetFullPath(rawEpisodeDir);
        var bad = new HashSet<string>(StringComparer.Ordinal);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var obj in JsonLinesReader.Read(file, LineFormat, diagnostics))
        {
            int before = diagnostics.Count;
            void Error(string code, int col, string message) => diagnostics.Add(Diagnostic.Error(code, file, obj.Line, col, message));
            foreach (var p in obj.Properties)
                if (p.Name is not ("video" or "start" or "end"))
                    Error(UnknownKey, p.NameColumn, $"Unexpected key \"{p.Name}\": a scene line has \"video\", \"start\" and \"end\".");

            string? video = null, path = null;
            var v = obj.Find("video");
            if (v is null) Error(BadVideo, 1, "Missing \"video\": expected the raw video's path relative to RawEpisodeDir.");
            else if (v.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.Value.GetString()))
                Error(BadVideo, v.Column, $"\"video\" must be a non-empty string path, found {JsonLinesReader.Describe(v.Value)}.");
            else
            {
                var (normalised, problem) = EpisodePath.Normalise(v.Value.GetString()!);
                if (problem is not null) Error(BadVideo, v.Column, problem.Replace("EpisodeDir", "RawEpisodeDir"));
                else
                {
                    video = normalised!;
                    path = Path.Combine(root, video);
                    if (!File.Exists(path)) Error(VideoNotFound, v.Column, $"Raw video not found: expected a file at '{path}'.");
                    else if (!EpisodePath.StaysInside(root, path))
                        Error(BadVideo, v.Column, $"'{video}' resolves to '{EpisodePath.Resolve(path)}', outside RawEpisodeDir '{root}'.");
                }
            }

            double? Time(string name)
            {
                var t = obj.Find(name);
                if (t is null) { Error(BadTime, 1, $"Missing \"{name}\": expected seconds or a timecode \"HH:MM:SS.mmm\"."); return null; }
                var (seconds, problem) = ParseTime(t.Value);
                if (problem is not null) Error(BadTime, t.Column, $"\"{name}\": {problem}.");
                return seconds;
            }
            double? start = Time("start"), end = Time("end");
            int endColumn = obj.Find("end")?.Column ?? 1;
            if (start is double s0 && end is double e0 && e0 <= s0)
                Error(EmptyScene, endColumn, $"\"end\" ({Format(e0)}) must be after \"start\" ({Format(s0)}).");

            if (video is null) continue;
            int k = index.TryGetValue(video, out int seen) ? seen : -1;
            if (k < 0) { index[video] = k = byVideo.Count; byVideo.Add((video, new List<Scene>())); }
            var scenes = byVideo[k].Scenes;
            if (diagnostics.Count != before) { bad.Add(video); scenes.Add(null!); continue; } // keeps scene indices stable
            var previous = scenes.LastOrDefault(x => x is not null);
            if (previous is not null && start < previous.End)
            {
                Error(Unordered, obj.Find("start")!.Column, start < previous.Start
                    ? $"Scenes of '{video}' are out of order: this one starts at {Format(start!.Value)}, before the scene on line {previous.Line} ({Format(previous.Start)}); expected time order."
                    : $"This scene of '{video}' starts at {Format(start!.Value)}, inside the scene on line {previous.Line} (which ends at {Format(previous.End)}): scenes must not overlap.");
                bad.Add(video);
            }
            scenes.Add(new Scene(obj.Line, endColumn, video, path!, scenes.Count, start!.Value, end!.Value));
        }

        // Two raw videos must not make one episode (ep01.mkv and ep01.mp4 both write ep01/).
        var episodes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (video, scenes) in byVideo)
        {
            string episode = EpisodeName(video);
            if (episodes.TryGetValue(episode, out string? other))
            {
                diagnostics.Add(Diagnostic.Error(EpisodeClash, file, scenes.FirstOrDefault(x => x is not null)?.Line ?? 0, 1,
                    $"'{video}' and '{other}' both give the episode '{episode}': raw video names must differ by more than their extension."));
                bad.Add(video);
            }
            else episodes[episode] = video;
        }
        return byVideo.Where(g => !bad.Contains(g.Video)).ToList();
    }

    /// <summary>The episode of a raw video: its path relative to RawEpisodeDir without the extension.</summary>
    public static string EpisodeName(string video)
    {
        int dot = video.LastIndexOf('.'), slash = video.LastIndexOf('/');
        return dot > slash + 1 ? video[..dot] : video;
    }

    public static string Format(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
