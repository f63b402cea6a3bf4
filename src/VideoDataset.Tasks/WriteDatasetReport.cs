using System.Globalization;
using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Report;
using VideoDataset.Core.Segments;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Text;

namespace VideoDataset.Tasks;

static class ReportSupport
{
    /// <summary>
    /// The text warnings, from the cache when the annotation file, the text recipe (tokenizer
    /// included) and TextMaxLength are what they were, so a no-op build tokenizes nothing.
    /// </summary>
    public static List<Diagnostic> TextWarnings(BuildState state, DatasetSettings s, Func<T5Tokenizer?> tokenizer)
    {
        var entries = state.Plan.Annotations.Entries;
        if (!File.Exists(s.AnnotationFile)) return [];
        string inputs = state.ContentHashes.Get(s.AnnotationFile, FileStampCache.Sha256OfFile) + "\t" +
            Recipes.Sha256Hex(state.Plan.TextRecipe) + "\t" + s.TextMaxLength.ToString(CultureInfo.InvariantCulture) + "\t" +
            // the valid lines (a line whose video went missing is checked no more)
            Recipes.Sha256Hex(string.Join(',', entries.Select(e => e.Line)));
        return TextCheckCache.GetOrCheck(BuildState.CachePath(s, "text-checks.tsv"), inputs,
            () => AnnotationTextChecks.Check(s.AnnotationFile, entries, tokenizer(), s.TextMaxLength));
    }

    /// <summary>The tokenizer, or null when its folder is broken (the stages report that, with its own code).</summary>
    public static T5Tokenizer? TryLoadTokenizer(DatasetSettings s)
    {
        if (s.TokenizerDir == "") return null;
        try { return T5Tokenizer.Load(s.TokenizerDir); }
        catch (DiagnosticException) { return null; }
        catch (IOException) { return null; }
    }
}

/// <summary>
/// Warns about texts that build but lose something silently (VDS1101 cut by TextMaxLength,
/// VDS1102 empty, VDS1103 repeated inside a scene), at the annotation's line and column.
/// </summary>
public sealed class CheckAnnotationTexts : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        var state = BuildState.Get(BuildEngine, settings, ProjectFile);
        foreach (var d in ReportSupport.TextWarnings(state, settings, () => ReportSupport.TryLoadTokenizer(settings)))
            Log.Log(d);
        state.ContentHashes.Save();
        return !Log.HasLoggedErrors;
    }
}

/// <summary>
/// Writes the static HTML report of the dataset into ReportDir: only pages whose bytes change,
/// thumbnails only for videos not seen before. Loads no model (the tokenizer is plain data).
/// </summary>
public sealed class WriteDatasetReport : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string ReportDir { get; set; } = "";

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        var state = BuildState.Get(BuildEngine, settings, ProjectFile);
        var tokenizer = ReportSupport.TryLoadTokenizer(settings);
        // The same warnings the build logs (CheckAnnotationTexts), shown next to their rows.
        var warnings = ReportSupport.TextWarnings(state, settings, () => tokenizer);
        string reportDir = Path.GetFullPath(ReportDir);
        var result = DatasetReport.Write(state.Plan, reportDir, tokenizer,
            latent => OutputState.IsFresh(latent.OutputPath, latent.Key, state.OutputKeys), warnings, Timelines(settings));
        foreach (var d in result.Diagnostics) Log.Log(d with { Severity = Severity.Warning });
        state.SaveCaches();
        Log.LogMessage(MessageImportance.High,
            $"VideoDataset report: {Path.Combine(reportDir, "index.html")} ({result.PagesWritten} pages and {result.ThumbnailsWritten} thumbnails written, {result.FilesRemoved} removed).");
        return !Log.HasLoggedErrors;
    }

    /// <summary>With SceneFile set, each episode page shows its raw video's timeline.</summary>
    Dictionary<string, EpisodeTimeline>? Timelines(DatasetSettings settings)
    {
        if (!settings.HasSegmentStage || !File.Exists(settings.SceneFile)) return null;
        var lengths = SegmentPlan.ParseSequenceSeconds(settings.SequenceSeconds, settings.SegmentSeconds, ProjectFile, []);
        // The durations PrepareSegments cached (ffprobe only for a raw video it has not seen).
        var durations = FileStampCache.Load(BuildState.CachePath(settings, "raw-durations.tsv"));
        var timelines = EpisodeTimeline.Read(settings.SceneFile, settings.RawEpisodeDir, lengths, settings.SegmentSeconds,
            p => double.Parse(durations.Get(p, q => SequenceEncoder.Duration(q).ToString("R", CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture));
        durations.Save();
        return timelines;
    }
}
