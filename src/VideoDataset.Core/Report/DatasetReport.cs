using System.Globalization;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Text;

namespace VideoDataset.Core.Report;

/// <summary>
/// Gathers the report of a planned dataset (thumbnails, latent statistics, token counts) and
/// writes it. Incremental like every output: thumbnails are named by the video's content hash and
/// made once, latent statistics are cached by latent key, and a page is written only when its
/// bytes change, so a report of an unchanged dataset writes nothing.
/// </summary>
public static class DatasetReport
{
    public const string StatsCacheFile = "latent-stats.tsv";

    /// <summary>What writing the report did.</summary>
    public sealed record Result(int PagesWritten, int ThumbnailsWritten, int FilesRemoved, IReadOnlyList<Diagnostic> Diagnostics);

    public static ReportModel Gather(DatasetPlan plan, string reportDir, T5Tokenizer? tokenizer, Func<PlannedLatent, bool> latentFresh,
        IReadOnlyList<Diagnostic> textWarnings, List<Diagnostic> problems, out int thumbnailsWritten,
        IReadOnlyDictionary<string, EpisodeTimeline>? timelines = null)
    {
        var s = plan.Settings;
        var statsCache = ReadStatsCache(Path.Combine(reportDir, StatsCacheFile));
        int written = 0;
        var latents = plan.Latents;
        var fresh = new bool[latents.Count];
        var stats = new LatentStats?[latents.Count];
        var thumbsOk = new bool[latents.Count];
        Parallel.For(0, latents.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Math.Min(4, Environment.ProcessorCount)) }, i =>
        {
            var l = latents[i];
            fresh[i] = File.Exists(l.OutputPath) && latentFresh(l);
            if (fresh[i])
            {
                if (statsCache.TryGetValue(l.Key, out var known)) stats[i] = known;
                else
                {
                    try { stats[i] = LatentStats.Of(TorchTensorFile.Read(l.OutputPath).Tensor); }
                    catch (Exception e) when (e is InvalidDataException or IOException)
                    {
                        lock (problems) problems.Add(Diagnostic.Warning(DiagnosticCodes.VerifyCorrupt, l.OutputPath, 0, 0, $"The report cannot read the latent: {e.Message}"));
                    }
                }
            }
            try
            {
                int n = Thumbnails.Ensure(reportDir, l.Entry.VideoPath, l.VideoSha256, l.Entry.Segments, s.Fps, s.SegmentSeconds);
                Interlocked.Add(ref written, n);
                thumbsOk[i] = true;
            }
            catch (DiagnosticException e) { lock (problems) problems.Add(e.Diagnostic); }
        });
        thumbnailsWritten = written;
        var outliers = LatentStats.Outliers(stats);

        var warningsByLine = textWarnings.GroupBy(d => d.Line).ToDictionary(g => g.Key, g => (IReadOnlyList<Diagnostic>)g.ToList());
        var textByEncoded = plan.Texts.ToDictionary(t => t.Text, StringComparer.Ordinal);
        var textBuilt = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool Built(PlannedText t)
        {
            if (!textBuilt.TryGetValue(t.OutputPath, out bool b)) textBuilt[t.OutputPath] = b = File.Exists(t.OutputPath);
            return b;
        }
        int endSceneId = tokenizer?.TokenToId("<end_scene>") ?? -1;
        var rows = new List<ReportRow>(latents.Count);
        for (int i = 0; i < latents.Count; i++)
        {
            var l = latents[i];
            var e = l.Entry;
            var segments = new List<ReportSegment>(e.Segments);
            for (int k = 0; k < e.Segments; k++)
            {
                string encoded = e.EncodedText(k);
                SegmentTokens? tokens = null;
                bool endCut = false;
                if (tokenizer is not null)
                {
                    int[] ids = tokenizer.EncodeUnpadded(encoded);
                    tokens = new SegmentTokens(ids.Length, s.TextMaxLength);
                    endCut = tokens.Truncated && e.SceneEnd[k] && ids.AsSpan(s.TextMaxLength - 1, tokens.Cut).Contains(endSceneId);
                }
                var t = textByEncoded[encoded];
                segments.Add(new ReportSegment(e.Texts[k], e.SceneStart[k], e.SceneEnd[k], tokens, endCut, t.RelativePath, Built(t),
                    thumbsOk[i] && File.Exists(Path.Combine(reportDir, Thumbnails.RelativePath(l.VideoSha256, k))) ? Thumbnails.RelativePath(l.VideoSha256, k) : null));
            }
            int slash = e.Video.LastIndexOf('/');
            string state = fresh[i] ? "fresh" : File.Exists(l.OutputPath) ? "stale" : "missing";
            rows.Add(new ReportRow(e.Line, e.Video, slash > 0 ? e.Video[..slash] : "(top level)", e.Segments * s.SegmentSeconds, l.RelativePath, state,
                stats[i], outliers.Contains(i), segments, warningsByLine.GetValueOrDefault(e.Line, [])));
        }

        var stale = new List<string>();
        foreach (var r in rows) if (r.LatentState != "fresh") stale.Add($"{r.LatentPath} ({r.LatentState})");
        foreach (var t in plan.Texts) if (!Built(t)) stale.Add($"{t.RelativePath} (missing)");
        foreach (var m in plan.Manifests)
            if (!File.Exists(m.OutputPath) || File.ReadAllText(m.OutputPath) != m.ContentOfBuilt(s.DatasetDir))
                stale.Add($"{Path.GetFileName(m.OutputPath)} ({(File.Exists(m.OutputPath) ? "stale" : "missing")})");

        WriteStatsCache(Path.Combine(reportDir, StatsCacheFile), latents.Select((l, i) => (l.Key, stats[i])));
        return new ReportModel
        {
            Title = "VideoDataset report",
            AnnotationFile = s.AnnotationFile,
            DatasetDir = s.DatasetDir,
            DatasetFromReport = Path.GetRelativePath(reportDir, s.DatasetDir).Replace('\\', '/').TrimEnd('/') + "/",
            TextMaxLength = s.TextMaxLength,
            SegmentSeconds = s.SegmentSeconds,
            Rows = rows,
            DistinctTexts = plan.Texts.Count,
            DiskUse = DiskUse(plan, reportDir),
            Recipe = Recipe(plan),
            StaleOrMissing = stale,
            OtherDiagnostics = plan.Diagnostics.Where(d => d.Severity == Severity.Error).ToList(),
            Timelines = timelines ?? new Dictionary<string, EpisodeTimeline>(),
        };
    }

    /// <summary>Gathers and writes the report; removes pages and thumbnails it no longer refers to.</summary>
    public static Result Write(DatasetPlan plan, string reportDir, T5Tokenizer? tokenizer, Func<PlannedLatent, bool> latentFresh, IReadOnlyList<Diagnostic> textWarnings,
        IReadOnlyDictionary<string, EpisodeTimeline>? timelines = null)
    {
        Directory.CreateDirectory(reportDir);
        var problems = new List<Diagnostic>();
        var model = Gather(plan, reportDir, tokenizer, latentFresh, textWarnings, problems, out int thumbs, timelines);
        var pages = ReportHtml.Render(model);
        int written = 0;
        foreach (var (rel, html) in pages)
        {
            string path = Path.Combine(reportDir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (AtomicFile.WriteTextIfDifferent(path, html)) written++;
        }
        int removed = RemoveUnreferenced(reportDir, pages.Keys, model.Rows.SelectMany(r => r.Segments).Select(g => g.Thumbnail).OfType<string>());
        return new Result(written, thumbs, removed, problems);
    }

    /// <summary>Deletes our pages and thumbnails that nothing refers to any more (and leftovers of killed runs).</summary>
    static int RemoveUnreferenced(string reportDir, IEnumerable<string> pages, IEnumerable<string> thumbnails)
    {
        var keep = new HashSet<string>(pages.Concat(thumbnails).Select(p => p.Replace('\\', '/')), StringComparer.Ordinal);
        int removed = 0;
        foreach (string sub in new[] { "episodes", "thumbs" })
        {
            string dir = Path.Combine(reportDir, sub);
            if (!Directory.Exists(dir)) continue;
            foreach (string f in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).ToList())
            {
                string rel = Path.GetRelativePath(reportDir, f).Replace('\\', '/');
                bool ours = f.EndsWith(".html", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith(AtomicFile.TempMarker, StringComparison.Ordinal);
                if (!ours || keep.Contains(rel)) continue;
                try
                {
                    if (Directory.Exists(f)) Directory.Delete(f, recursive: true); else File.Delete(f);
                    removed++;
                }
                catch (IOException) { }
            }
        }
        return removed;
    }

    static List<(string, int, long)> DiskUse(DatasetPlan plan, string reportDir)
    {
        static (int, long) Sum(IEnumerable<string> paths)
        {
            int n = 0; long bytes = 0;
            foreach (string p in paths) { var fi = new FileInfo(p); if (fi.Exists) { n++; bytes += fi.Length; } }
            return (n, bytes);
        }
        var list = new List<(string, int, long)>();
        void Add(string kind, IEnumerable<string> paths) { var (n, b) = Sum(paths); list.Add((kind, n, b)); }
        Add("source videos", plan.Latents.Select(l => l.Entry.VideoPath));
        Add("latents", plan.Latents.Select(l => l.OutputPath));
        Add("text embeddings", plan.Texts.Select(t => t.OutputPath));
        Add("manifests", plan.Manifests.Select(m => m.OutputPath));
        string thumbs = Path.Combine(reportDir, "thumbs");
        Add("report thumbnails", Directory.Exists(thumbs) ? Directory.EnumerateFiles(thumbs, "*.jpg", SearchOption.AllDirectories) : []);
        return list;
    }

    static List<(string, string)> Recipe(DatasetPlan plan)
    {
        var s = plan.Settings;
        var list = new List<(string, string)>
        {
            ("ModelDir", s.ModelDir == "" ? "(none)" : s.ModelDir),
            ("VAE folder", s.VaeModelDir), ("T5 folder", s.T5ModelDir), ("tokenizer folder", s.TokenizerDir),
        };
        // The recipes themselves: every model identity hash and byte-changing setting, as the keys hash them.
        foreach (var (stage, recipe) in new[] { ("latents", plan.LatentRecipe), ("text", plan.TextRecipe) })
            foreach (string line in recipe.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = line.IndexOf('=');
                list.Add(eq > 0 ? ($"{stage}: {line[..eq]}", line[(eq + 1)..]) : ($"{stage}", line));
            }
        return list;
    }

    static Dictionary<string, LatentStats> ReadStatsCache(string path)
    {
        var result = new Dictionary<string, LatentStats>(StringComparer.Ordinal);
        if (!File.Exists(path)) return result;
        foreach (string line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length == 11 && LatentStats.FromTsv(f[1..]) is { } st) result[f[0]] = st;
        }
        return result;
    }

    static void WriteStatsCache(string path, IEnumerable<(string Key, LatentStats? Stats)> items)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (key, st) in items.Where(p => p.Stats is not null).OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append(key).Append('\t').Append(st!.ToTsv()).Append('\n');
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteTextIfDifferent(path, sb.ToString());
    }

    internal static string Format(double v) => double.IsFinite(v) ? v.ToString("0.###", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
}
