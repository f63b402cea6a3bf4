using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Tasks;

/// <summary>
/// Reads the annotations, checks every line, hashes inputs (cached) and decides every output's
/// key, with no model loaded. Predicts the outputs as items (as Grpc.Tools does) for FileWrites,
/// and makes the build's one freshness decision: the stale latents and texts go to the stage
/// targets as lists, and the stage tasks encode exactly those.
/// </summary>
public sealed class PrepareDataset : Microsoft.Build.Utilities.Task, IIncrementalTask
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    public bool FailIfNotIncremental { get; set; }

    /// <summary>Every planned output (FileWrites).</summary>
    [Output] public ITaskItem[] Outputs { get; set; } = [];
    /// <summary>The latents that do not record their key now: EncodeVideoLatents encodes these.</summary>
    [Output] public ITaskItem[] StaleLatents { get; set; } = [];
    /// <summary>The text embeddings that do not exist yet: EncodeTextEmbeddings encodes these.</summary>
    [Output] public ITaskItem[] StaleTexts { get; set; } = [];

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        // Planning builds one large object graph that lives until the build ends, so a collection
        // while it grows finds little garbage and copies what lives (measured at 100,000 lines: 550 MB
        // allocated, 30 collections; without them a no-op build takes about 6% less CPU). No collection runs
        // while planning allocates up to a budget sized by the annotation file (48 bytes per byte of
        // it, above the ~35 planning allocates; capped, so a larger dataset only collects sooner); past the
        // budget the runtime collects as usual. Outside the budget, blocking full collections wait.
        var mode = System.Runtime.GCSettings.LatencyMode;
        System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.SustainedLowLatency;
        var annotations = new FileInfo(settings.AnnotationSource);
        long budget = Math.Clamp((annotations.Exists ? annotations.Length : 0) * 48, 16L << 20, 1L << 30);
        try { GC.TryStartNoGCRegion(budget); }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException) { } // more than this runtime allows at once, or a region already open: collect as usual
        try { return Run(settings); }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
                try { GC.EndNoGCRegion(); } catch (InvalidOperationException) { } // the budget ran out: the region already ended
            System.Runtime.GCSettings.LatencyMode = mode;
        }
    }

    bool Run(DatasetSettings settings)
    {
        var state = BuildState.Get(BuildEngine, settings, ProjectFile, refresh: true);
        var plan = state.Plan;
        foreach (var d in plan.Diagnostics) Log.Log(d);

        var timer = new PhaseTimer();
        var staleLatents = plan.StaleLatents(state.OutputKeys);
        var staleTexts = plan.StaleTexts();
        var stale = staleLatents.Select(l => l.RelativePath).Concat(staleTexts.Select(t => t.RelativePath)).ToHashSet(StringComparer.Ordinal);
        state.Present = plan.Latents.Select(l => l.RelativePath).Concat(plan.Texts.Select(t => t.RelativePath)).Where(p => !stale.Contains(p)).ToHashSet(StringComparer.Ordinal);
        timer.Done("freshness");
        if (FailIfNotIncremental)
            foreach (var latent in staleLatents)
                Log.LogError(null, DiagnosticCodes.NotIncremental, null, latent.OutputPath, 0, 0, 0, 0, $"Stale: the latent of '{latent.Entry.Video}' would be encoded.");
        StaleLatents = staleLatents.Select(l => (ITaskItem)new TaskItem(l.OutputPath, new Dictionary<string, string> { ["Video"] = l.Entry.Video })).ToArray();
        StaleTexts = staleTexts.Select(t => (ITaskItem)new TaskItem(t.OutputPath)).ToArray();
        Outputs = plan.Latents.Select(l => l.OutputPath).Concat(plan.Texts.Select(t => t.OutputPath)).Concat(plan.Manifests.Select(m => m.OutputPath))
            .Select(p => (ITaskItem)new TaskItem(p)).ToArray();
        timer.Done("items");
        Log.LogMessage(MessageImportance.High,
            $"VideoDataset: {plan.Latents.Count} videos ({staleLatents.Count} to encode), {plan.Texts.Count} distinct texts ({staleTexts.Count} to encode), {plan.Manifests.Count} manifests.");
        state.SaveCaches();
        timer.Done("saving caches");
        Log.LogMessage(MessageImportance.Low, $"VideoDataset: planning took {state.Timings}, {timer}.");
        return !Log.HasLoggedErrors;
    }
}
