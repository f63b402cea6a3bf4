using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Segments;
using VideoDataset.Core.Staleness;

namespace VideoDataset.Tasks;

/// <summary>
/// The segment stage's plan and caches, shared by building it (PrepareSegments), verifying it
/// (VerifyDataset) and cleaning it (CleanDataset): every sequence and its key with no decoding
/// (content hashes, durations and recorded keys are cached by file stamp).
/// </summary>
sealed partial class SegmentState
{
    public required SegmentPlan Plan { get; init; }
    /// <summary>The captioned sequences: each gets a video and an annotation line.</summary>
    public required List<PlannedSequence> Wanted { get; init; }
    public required FileStampCache Hashes { get; init; }
    public required FileStampCache Durations { get; init; }
    public required FileStampCache Keys { get; init; }

    /// <summary>The plan, its diagnostics logged; null when the stage's settings themselves are wrong.</summary>
    public static SegmentState? Create(DatasetSettings settings, string projectFile, TaskLoggingHelper log)
    {
        var diagnostics = new List<Diagnostic>();
        var lengths = SegmentPlan.ParseSequenceSeconds(settings.SequenceSeconds, settings.SegmentSeconds, projectFile, diagnostics);
        if (settings.CaptionFile == "" || Directory.Exists(settings.CaptionFile))
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.CaptionFileMissing, projectFile, 0, 0,
                "SceneFile is set but CaptionFile is not: expected a JSON Lines file of {\"segment\": ..., \"text\": ...} captions."));
        foreach (var d in diagnostics) log.Log(d);
        if (diagnostics.Count > 0) return null;

        var hashes = BuildState.LoadCache(settings, "content-hashes.tsv");
        var durations = BuildState.LoadCache(settings, "raw-durations.tsv");
        var keys = BuildState.LoadCache(settings, "segment-keys.tsv");
        var plan = SegmentPlan.Create(settings, lengths, p => hashes.Get(p, FileStampCache.Sha256OfFile),
            p => double.Parse(durations.Get(p, q => SequenceEncoder.Duration(q).ToString("R", CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture));
        foreach (var d in plan.Diagnostics) log.Log(d);
        return new SegmentState
        {
            Plan = plan, Wanted = plan.Sequences.Where(q => q.Captioned).ToList(), Hashes = hashes, Durations = durations, Keys = keys,
        };
    }

    /// <summary>The key a sequence video records (cached by file stamp); "" when there is none.</summary>
    public string Recorded(string path) => File.Exists(path) ? Keys.Get(path, SequenceEncoder.RecordedKey) : "";

    public void SaveCaches()
    {
        Hashes.Save();
        Durations.Save();
        Keys.Save();
    }

    [GeneratedRegex(@"^[0-9]+s_[0-9]{4}\.mp4$")]
    public static partial Regex SequenceName();

    public static bool IsTemp(string f) => Path.GetFileName(f).Contains(AtomicFile.TempMarker, StringComparison.Ordinal);

    /// <summary>Reads every wanted sequence's recorded key afresh (no cache) and compares the annotation file; logs one error per difference.</summary>
    public void Verify(TaskLoggingHelper log)
    {
        foreach (var q in Wanted)
        {
            if (!File.Exists(q.OutputPath))
                log.Error(DiagnosticCodes.VerifyMissing, q.OutputPath, $"Missing: the sequence video of {q.Video} has not been made.");
            else if (SequenceEncoder.RecordedKey(q.OutputPath) != q.Key)
                log.Error(DiagnosticCodes.VerifyStale, q.OutputPath, "Stale sequence video: its raw video, scene times or settings changed since it was made. Run a build.");
        }
        string annotationFile = Plan.Settings.AnnotationFile;
        string expected = Plan.AnnotationContent(_ => true);
        if (!File.Exists(annotationFile) || File.ReadAllText(annotationFile) != expected)
            log.Error(DiagnosticCodes.VerifyManifestStale, annotationFile, "Stale annotation file: it differs from what the scene and caption files give. Run a build.");
    }

    /// <summary>
    /// Removes every sequence video this stage wrote under EpisodeDir (it records our key), leftovers
    /// of killed builds, and the annotation file. Needs no plan: a clean works with broken inputs.
    /// </summary>
    public static int Clean(DatasetSettings settings)
    {
        int removed = 0;
        if (Directory.Exists(settings.EpisodeDir))
            foreach (string f in Directory.EnumerateFiles(settings.EpisodeDir, "*", SearchOption.AllDirectories))
                if (IsTemp(f) || (SequenceName().IsMatch(Path.GetFileName(f)) && SequenceEncoder.RecordedKey(f) != ""))
                {
                    File.Delete(f);
                    removed++;
                }
        if (File.Exists(settings.AnnotationFile)) { File.Delete(settings.AnnotationFile); removed++; }
        return removed;
    }
}
