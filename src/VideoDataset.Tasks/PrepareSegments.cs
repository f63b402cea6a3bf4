using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Segments;
using VideoDataset.Core.Staleness;

namespace VideoDataset.Tasks;

/// <summary>
/// From raw episodes and scene cuts to the EpisodeDir videos and the annotation file (issue 5):
/// plans every sequence and its key with no decoding (content hashes, durations and recorded keys
/// are cached by file stamp), starts the worker for the stale sequences only, then writes the
/// annotation file when its content changes. A sequence whose video failed gets no line.
/// </summary>
public sealed partial class PrepareSegments : WorkerTask
{
    [Required] public string RawEpisodeDir { get; set; } = "";
    [Required] public string SceneFile { get; set; } = "";
    public string CaptionFile { get; set; } = "";
    public string SequenceSeconds { get; set; } = "3;9;18;30;63";

    /// <summary>Instead of building: removes every sequence video this stage wrote (it records our key), leftovers of killed builds, and the annotation file.</summary>
    public bool Clean { get; set; }

    /// <summary>Instead of building: changes nothing, and reports every sequence video or annotation file that a build would write (VerifyDataset).</summary>
    public bool Verify { get; set; }

    [Output] public ITaskItem[] Sequences { get; set; } = [];
    protected override string Stage => SegmentRequest.Stage;

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        if (Clean) return CleanAll(settings);
        var diagnostics = new List<Diagnostic>();
        var lengths = SegmentPlan.ParseSequenceSeconds(SequenceSeconds, settings.SegmentSeconds, ProjectFile, diagnostics);
        if (CaptionFile.Trim() == "" || Directory.Exists(CaptionFile))
            diagnostics.Add(Diagnostic.Error(Core.Segments.CaptionFile.FileMissing, ProjectFile, 0, 0,
                "SceneFile is set but CaptionFile is not: expected a JSON Lines file of {\"segment\": ..., \"text\": ...} captions."));
        foreach (var d in diagnostics) Log.Log(d);
        if (diagnostics.Count > 0) return false;

        var s = new SegmentSettings
        {
            RawEpisodeDir = Path.GetFullPath(RawEpisodeDir), SceneFile = Path.GetFullPath(SceneFile), CaptionFile = Path.GetFullPath(CaptionFile),
            EpisodeDir = settings.EpisodeDir, AnnotationFile = settings.AnnotationFile, SequenceSeconds = lengths,
            Fps = settings.Fps, SegmentSeconds = settings.SegmentSeconds, Width = settings.FrameWidth, Height = settings.FrameHeight,
        };
        var hashes = FileStampCache.Load(BuildState.CachePath(settings, "content-hashes.tsv"));
        var durations = FileStampCache.Load(BuildState.CachePath(settings, "raw-durations.tsv"));
        var keys = FileStampCache.Load(BuildState.CachePath(settings, "segment-keys.tsv"));
        var plan = SegmentPlan.Create(s, p => hashes.Get(p, FileStampCache.Sha256OfFile),
            p => double.Parse(durations.Get(p, q => SequenceEncoder.Duration(q).ToString("R", CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture));
        foreach (var d in plan.Diagnostics) Log.Log(d);

        string Recorded(string path) => File.Exists(path) ? keys.Get(path, SequenceEncoder.RecordedKey) : "";
        var wanted = plan.Sequences.Where(q => q.Captioned).ToList();
        if (Verify) return VerifyAll(plan, wanted, s.AnnotationFile);
        var stale = wanted.Where(q => Recorded(q.OutputPath) != q.Key).ToList();
        Log.LogMessage(MessageImportance.High,
            $"VideoDataset: {plan.Sequences.Count} sequences from the scenes ({wanted.Count} captioned, {stale.Count} to write), {plan.DroppedScenes} scenes dropped.");

        bool ok = !plan.HasErrors;
        if (stale.Count > 0)
        {
            if (FailIfNotIncremental)
            {
                Log.LogError(null, "VDS5020", null, ProjectFile, 0, 0, 0, 0, $"Stale: {stale.Count} sequence videos would be written.");
                return false;
            }
            var request = new SegmentRequest
            {
                Fps = s.Fps, SegmentSeconds = s.SegmentSeconds, FrameWidth = s.Width, FrameHeight = s.Height,
                Items = stale.Select(q => new SequenceJob
                {
                    RawPath = q.RawPath, Output = q.OutputPath, Key = q.Key, Label = q.Video,
                    Segments = q.Segments.Select(g => new SegmentTiming(g.Start, g.SceneEnd)).ToList(),
                }).ToList(),
            };
            ok &= RunWorker(settings, request.ToJson());
            foreach (string f in Finished) keys.Forget(f);
        }

        // Lines only for videos that record their key now: a failed sequence is left out, never faked.
        string content = plan.AnnotationContent(q => Recorded(q.OutputPath) == q.Key);
        if (FailIfNotIncremental && (!File.Exists(s.AnnotationFile) || File.ReadAllText(s.AnnotationFile) != content))
            Log.LogError(null, "VDS5020", null, s.AnnotationFile, 0, 0, 0, 0, "Stale: the annotation file would be rewritten.");
        else if (AtomicFile.WriteTextIfDifferent(s.AnnotationFile, content))
            Log.LogMessage(MessageImportance.High, $"VideoDataset: wrote {Path.GetFileName(s.AnnotationFile)} ({content.Count(c => c == '\n')} sequences).");
        RemoveOldSequences(plan, wanted, keys);
        hashes.Save();
        durations.Save();
        keys.Save();
        Sequences = wanted.Select(q => (ITaskItem)new TaskItem(q.OutputPath)).ToArray();
        return ok && !Log.HasLoggedErrors;
    }

    /// <summary>Reads every wanted sequence's recorded key afresh (no cache) and compares the annotation file.</summary>
    bool VerifyAll(SegmentPlan plan, List<PlannedSequence> wanted, string annotationFile)
    {
        foreach (var q in wanted)
        {
            if (!File.Exists(q.OutputPath))
                Log.LogError(null, "VDS5101", null, q.OutputPath, 0, 0, 0, 0, $"Missing: the sequence video of {q.Video} has not been made.");
            else if (SequenceEncoder.RecordedKey(q.OutputPath) != q.Key)
                Log.LogError(null, "VDS5103", null, q.OutputPath, 0, 0, 0, 0, "Stale sequence video: its raw video, scene times or settings changed since it was made. Run a build.");
        }
        string expected = plan.AnnotationContent(_ => true);
        if (!File.Exists(annotationFile) || File.ReadAllText(annotationFile) != expected)
            Log.LogError(null, "VDS5104", null, annotationFile, 0, 0, 0, 0, "Stale annotation file: it differs from what the scene and caption files give. Run a build.");
        return !Log.HasLoggedErrors;
    }

    [GeneratedRegex(@"^[0-9]+s_[0-9]{4}\.mp4$")]
    private static partial Regex SequenceName();

    static bool IsTemp(string f) => Path.GetFileName(f).Contains(AtomicFile.TempMarker, StringComparison.Ordinal);

    /// <summary>
    /// Sequence videos of the planned episodes that no sequence wants any more (scenes shortened,
    /// captions removed) are deleted, as are leftovers of killed builds; only files that record
    /// our key, so nothing a user put there is touched.
    /// </summary>
    void RemoveOldSequences(SegmentPlan plan, List<PlannedSequence> wanted, FileStampCache keys)
    {
        if (FailIfNotIncremental) return;
        var keep = wanted.Select(q => q.OutputPath).ToHashSet(StringComparer.Ordinal);
        foreach (string folder in plan.Sequences.Select(q => Path.GetDirectoryName(q.OutputPath)!).Distinct())
        {
            if (!Directory.Exists(folder)) continue;
            foreach (string f in Directory.EnumerateFiles(folder))
            {
                bool old = SequenceName().IsMatch(Path.GetFileName(f)) && !keep.Contains(f) && keys.Get(f, SequenceEncoder.RecordedKey) != "";
                if (!old && !IsTemp(f)) continue;
                File.Delete(f);
                keys.Forget(f);
                Log.LogMessage(MessageImportance.High, $"VideoDataset: removed {f}: no sequence of the scenes makes it now.");
            }
        }
    }

    bool CleanAll(VideoDataset.Core.Dataset.DatasetSettings settings)
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
        Log.LogMessage(MessageImportance.High, $"VideoDataset: removed {removed} files the segment stage wrote.");
        return true;
    }
}
