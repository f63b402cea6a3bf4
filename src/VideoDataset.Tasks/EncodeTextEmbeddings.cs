using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>Encodes the T5 embeddings of the distinct texts that have none yet (content-addressed).</summary>
public sealed class EncodeTextEmbeddings : EncodeTask<PlannedText>
{
    /// <summary>The text embeddings PrepareDataset found missing.</summary>
    public ITaskItem[] TextEmbeddings { get; set; } = [];

    protected override string Stage => WorkerRequest.Text;
    protected override ITaskItem[] StaleOutputs => TextEmbeddings;
    protected override string What => "text embeddings";
    protected override IEnumerable<PlannedText> Planned(DatasetPlan plan) => plan.Texts;
    protected override string OutputPath(PlannedText t) => t.OutputPath;

    protected override WorkItem ToWorkItem(PlannedText t, DatasetPlan plan) => new()
    {
        Input = t.Text, Output = t.OutputPath, Key = t.Key, Metadata = t.Metadata(), Label = t.Key[..12],
    };

    protected override string Announce(int count, DatasetSettings s) => $"VideoDataset: encoding {count} texts with the T5 in '{s.T5ModelDir}'.";
}
