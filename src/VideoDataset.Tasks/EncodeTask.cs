using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>
/// The steps both encoding stages share: take the stale outputs PrepareDataset decided (no second
/// decision here), hand them to the worker with the plan's settings (the resolved device its keys
/// record), and remember what the worker reports written.
/// </summary>
public abstract class EncodeTask<TPlanned> : WorkerTask where TPlanned : class
{
    /// <summary>The stale outputs, as PrepareDataset listed them.</summary>
    protected abstract ITaskItem[] StaleOutputs { get; }
    /// <summary>What is encoded, for messages: "latents", "text embeddings".</summary>
    protected abstract string What { get; }
    protected abstract IEnumerable<TPlanned> Planned(DatasetPlan plan);
    protected abstract string OutputPath(TPlanned planned);
    protected abstract WorkItem ToWorkItem(TPlanned planned, DatasetPlan plan);
    /// <summary>The line logged before the worker starts.</summary>
    protected abstract string Announce(int count, DatasetSettings settings);
    /// <summary>After the worker: remember what it wrote (default: nothing).</summary>
    private protected virtual void Record(BuildState state) { }

    public override bool Execute()
    {
        if (StaleOutputs.Length == 0) return true;
        var state = BuildState.Get(BuildEngine, TaskSupport.ReadSettings(Settings), ProjectFile);
        var byPath = Planned(state.Plan).ToDictionary(OutputPath, StringComparer.Ordinal);
        var stale = StaleOutputs.Select(i => byPath.GetValueOrDefault(i.GetMetadata("FullPath"))).OfType<TPlanned>().ToList();
        if (stale.Count == 0) return true;
        if (!state.Plan.ModelsUsable) return true; // nothing can be encoded: PrepareDataset reported why and failed the build
        if (RefuseInQuestionMode(stale.Count, What)) return false;

        AcquireDatasetLock.Announce(BuildEngine, state.Plan.Settings.DatasetDir);
        Log.LogMessage(MessageImportance.High, Announce(stale.Count, state.Plan.Settings));
        bool ok = RunWorker(state.Plan.Settings, stale.Select(p => ToWorkItem(p, state.Plan)).ToList());
        Record(state);
        return ok;
    }
}
