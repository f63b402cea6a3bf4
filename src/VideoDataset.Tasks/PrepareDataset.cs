using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;

namespace VideoDataset.Tasks;

/// <summary>
/// Reads the annotations, checks every line, hashes inputs (cached) and decides every output's
/// key, with no model loaded. Predicts the outputs as items (as Grpc.Tools does) and keeps each
/// latent's stamp older than the latent exactly when the latent is fresh, so the stage targets'
/// Inputs/Outputs let MSBuild itself skip what is current.
/// </summary>
public sealed class PrepareDataset : Microsoft.Build.Utilities.Task, IIncrementalTask
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    public bool FailIfNotIncremental { get; set; }

    [Output] public ITaskItem[] Latents { get; set; } = [];
    [Output] public ITaskItem[] TextEmbeddings { get; set; } = [];
    [Output] public ITaskItem[] Manifests { get; set; } = [];

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        var state = BuildState.Get(BuildEngine, settings, ProjectFile, refresh: true);
        var plan = state.Plan;
        foreach (var d in plan.Diagnostics) Log.Log(d);

        int stale = 0;
        var latents = new List<ITaskItem>(plan.Latents.Count);
        foreach (var latent in plan.Latents)
        {
            bool fresh = OutputState.IsFresh(latent.OutputPath, latent.Key, state.OutputKeys);
            if (!fresh) stale++;
            bool changed = OutputState.SyncStamp(latent, fresh, dryRun: FailIfNotIncremental);
            if (changed && FailIfNotIncremental)
                Log.LogError(null, "VDS5020", null, latent.OutputPath, 0, 0, 0, 0, $"Stale: the latent of '{latent.Entry.Video}' would be {(fresh ? "re-stamped" : "encoded")}.");
            var item = new TaskItem(latent.OutputPath);
            item.SetMetadata("Stamp", latent.StampPath);
            item.SetMetadata("Video", latent.Entry.Video);
            latents.Add(item);
        }
        Latents = latents.ToArray();
        TextEmbeddings = plan.Texts.Select(t => (ITaskItem)new TaskItem(t.OutputPath)).ToArray();
        Manifests = plan.Manifests.Select(m => (ITaskItem)new TaskItem(m.OutputPath)).ToArray();
        int missingTexts = plan.Texts.Count(t => !File.Exists(t.OutputPath));
        Log.LogMessage(MessageImportance.High,
            $"VideoDataset: {plan.Latents.Count} videos ({stale} to encode), {plan.Texts.Count} distinct texts ({missingTexts} to encode), {plan.Manifests.Count} manifests.");
        state.SaveCaches();
        return !Log.HasLoggedErrors;
    }
}
