using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;

namespace VideoDataset.Tasks;

/// <summary>
/// Turns the build's properties into the one settings item every other task reads. The parameters
/// are typed, so MSBuild rejects a non-number where a number belongs and a binary log shows each
/// value; they are named exactly as the properties and as <see cref="DatasetSettings"/>. Paths
/// become absolute here, once (<see cref="DatasetSettings.MakeAbsolute"/>).
/// </summary>
public sealed class ResolveDatasetSettings : Microsoft.Build.Utilities.Task
{
    [Required] public string ProjectFile { get; set; } = "";

    [Required] public string EpisodeDir { get; set; } = "";
    [Required] public string AnnotationFile { get; set; } = "";
    [Required] public string DatasetDir { get; set; } = "";
    public string ModelDir { get; set; } = "";
    public string VaeModelDir { get; set; } = "";
    public string T5ModelDir { get; set; } = "";
    public string TokenizerDir { get; set; } = "";
    [Required] public int Fps { get; set; }
    [Required] public int SegmentSeconds { get; set; }
    [Required] public int FrameWidth { get; set; }
    [Required] public int FrameHeight { get; set; }
    [Required] public int VaeChunkFrames { get; set; }
    [Required] public int TextMaxLength { get; set; }
    [Required] public int TextBatchSize { get; set; }
    [Required] public string TorchDevice { get; set; } = "";
    public bool VideoDatasetCuda { get; set; }
    [Required] public string VideoDatasetIntermediateDir { get; set; } = "";
    public string SceneFile { get; set; } = "";
    public string RawEpisodeDir { get; set; } = "";
    public string CaptionFile { get; set; } = "";
    public string SequenceSeconds { get; set; } = "";
    /// <summary>Both empty for the whole dataset; the targets fill them from Slurm or Kubernetes when the project does not.</summary>
    public string ShardIndex { get; set; } = "";
    public string ShardCount { get; set; } = "";

    /// <summary>One item whose metadata are the settings, resolved.</summary>
    [Output] public ITaskItem Settings { get; set; } = null!;

    public override bool Execute()
    {
        if (Shard.Parse(ShardIndex, ShardCount, ProjectFile, out var shardError) is not { } shard)
        {
            Log.Log(shardError!);
            return false;
        }
        var raw = DatasetSettings.FromProperties(name => name switch
        {
            nameof(DatasetSettings.ShardIndex) => shard.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            nameof(DatasetSettings.ShardCount) => shard.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => Convert.ToString(GetType().GetProperty(name)!.GetValue(this), System.Globalization.CultureInfo.InvariantCulture) ?? "",
        });
        var settings = raw.MakeAbsolute(Path.GetDirectoryName(Path.GetFullPath(ProjectFile))!);
        var item = new TaskItem("VideoDataset");
        foreach (var (name, value) in settings.ToProperties()) item.SetMetadata(name, value);
        Settings = item;
        return true;
    }
}
