using VideoDataset.Core.Annotations;
using VideoDataset.Core.Staleness;

namespace VideoDataset.Core.Dataset;

/// <summary>A video's latent: where it goes and the key it must record to be fresh.</summary>
public sealed record PlannedLatent(AnnotationEntry Entry, string OutputPath, string RelativePath, string Key, string VideoSha256)
{
    public Dictionary<string, string> Metadata(string recipe) => new()
    {
        ["videodataset"] = "1", ["stage"] = "latents", ["key"] = Key, ["video"] = Entry.Video,
        ["video_sha256"] = VideoSha256, ["recipe_sha256"] = Recipes.Sha256Hex(recipe),
    };
}
