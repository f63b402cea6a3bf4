using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>Encodes the VAE latents of the videos whose latent is stale (DESIGN §2, §4).</summary>
public sealed class EncodeVideoLatents : EncodeTask<PlannedLatent>
{
    /// <summary>The latents PrepareDataset found stale.</summary>
    public ITaskItem[] Latents { get; set; } = [];

    protected override string Stage => WorkerRequest.Latents;
    protected override ITaskItem[] StaleOutputs => Latents;
    protected override string What => "latents";
    protected override IEnumerable<PlannedLatent> Planned(DatasetPlan plan) => plan.Latents;
    protected override string OutputPath(PlannedLatent l) => l.OutputPath;

    protected override WorkItem ToWorkItem(PlannedLatent l, DatasetPlan plan) => new()
    {
        Input = l.Entry.VideoPath, Output = l.OutputPath, Key = l.Key, Metadata = l.Metadata(plan.LatentRecipe),
        Line = l.Entry.Line, Segments = l.Entry.Segments, Label = l.Entry.Video,
    };

    protected override string Announce(int count, DatasetSettings s) => $"VideoDataset: encoding {count} latents with the VAE in '{s.VaeModelDir}'.";

    /// <summary>The worker reports each latent's key as it writes it: remembered without reading the file back.</summary>
    private protected override void Record(BuildState state)
    {
        foreach (var (key, output) in Finished) state.OutputKeys.Record(output, key);
        state.SaveCaches();
    }
}
