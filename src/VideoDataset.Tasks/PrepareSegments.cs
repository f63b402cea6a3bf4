using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Segments;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>
/// From raw episodes and scene cuts to the EpisodeDir videos and the annotation file: plans every
/// sequence and its key with no decoding (<see cref="SegmentState"/>), starts the worker for the
/// stale sequences only, then writes the annotation file when its content changes. A sequence
/// whose video failed gets no line. (VerifyDataset and CleanDataset verify and clean this stage.)
/// </summary>
public sealed class PrepareSegments : WorkerTask
{
    protected override string Stage => WorkerRequest.Segments;

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        var state = SegmentState.Create(settings, ProjectFile, Log);
        if (state is null) return false;
        var plan = state.Plan;
        var wanted = state.Wanted;
        // A shard writes only its own sequence videos (by their path relative to EpisodeDir, so each
        // goes to the shard that encodes its latent) and leaves the annotation file to the final step.
        var shard = settings.Shard;
        var stale = wanted.Where(q => shard.Owns(q.Video) && state.Recorded(q.OutputPath) != q.Key).ToList();
        Log.LogMessage(MessageImportance.High,
            $"VideoDataset: {plan.Sequences.Count} sequences from the scenes ({wanted.Count} captioned, {stale.Count} to write), {plan.DroppedScenes} scenes dropped.");

        bool ok = !plan.HasErrors;
        if (stale.Count > 0)
        {
            if (FailIfNotIncremental)
            {
                Log.LogError(null, DiagnosticCodes.NotIncremental, null, ProjectFile, 0, 0, 0, 0, $"Stale: {stale.Count} sequence videos would be written.");
                return false;
            }
            AcquireDatasetLock.Announce(BuildEngine, settings.DatasetDir);
            ok &= RunWorker(settings, stale.Select(q => new WorkItem
            {
                Input = q.RawPath, Output = q.OutputPath, Key = q.Key, Label = q.Video,
                Timings = q.Segments.Select(g => new SegmentTiming(g.Start, g.SceneEnd)).ToList(),
            }).ToList());
            // The worker reports each video's key as it writes it: remembered without probing the file again.
            foreach (var (key, output) in Finished) state.Keys.Record(output, key);
        }

        // Lines only for videos that record their key now: a failed sequence is left out, never faked.
        // A shard's own copy (what it plans from) also lists the other shards' sequences: their texts
        // may be its to encode.
        string annotationFile = settings.AnnotationSource;
        string content = plan.AnnotationContent(q => !shard.Owns(q.Video) || state.Recorded(q.OutputPath) == q.Key);
        if (shard.IsPart)
        {
            AtomicFile.WriteTextIfDifferent(annotationFile, content);
            state.SaveCaches();
            return ok && !Log.HasLoggedErrors;
        }
        if (FailIfNotIncremental && (!File.Exists(annotationFile) || File.ReadAllText(annotationFile) != content))
            Log.LogError(null, DiagnosticCodes.NotIncremental, null, annotationFile, 0, 0, 0, 0, "Stale: the annotation file would be rewritten.");
        else if (AtomicFile.WriteTextIfDifferent(annotationFile, content))
            Log.LogMessage(MessageImportance.High, $"VideoDataset: wrote {Path.GetFileName(annotationFile)} ({content.Count(c => c == '\n')} sequences).");
        RemoveOldSequences(plan, wanted, state.Keys);
        state.SaveCaches();
        return ok && !Log.HasLoggedErrors;
    }

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
                bool old = SegmentState.SequenceName().IsMatch(Path.GetFileName(f)) && !keep.Contains(f) && keys.Get(f, SequenceEncoder.RecordedKey) != "";
                if (!old && !SegmentState.IsTemp(f)) continue;
                File.Delete(f);
                keys.Forget(f);
                Log.LogMessage(MessageImportance.High, $"VideoDataset: removed {f}: no sequence of the scenes makes it now.");
            }
        }
    }
}
