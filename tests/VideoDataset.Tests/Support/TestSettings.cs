using System.Xml.Linq;
using VideoDataset.Core.Dataset;

namespace VideoDataset.Tests.Support;

/// <summary>
/// Settings as a project in <c>dir</c> with no properties of its own gets them: the defaults read
/// from build/VideoDataset.props (the only place they are written), the two derived ones as the
/// targets derive them, paths made absolute.
/// </summary>
public static class TestSettings
{
    public static IReadOnlyDictionary<string, string> PropsDefaults { get; } =
        XDocument.Load(Path.Combine(Repo.Root, "build/VideoDataset.props")).Descendants()
            .Where(e => e.Parent?.Name.LocalName == "PropertyGroup" && !e.HasElements)
            .ToDictionary(e => e.Name.LocalName, e => e.Value.Trim());

    public static DatasetSettings Create(string dir)
    {
        var s = DatasetSettings.FromProperties(name => name switch
        {
            nameof(DatasetSettings.VaeChunkFrames) => PropsDefaults["Fps"],
            nameof(DatasetSettings.VideoDatasetIntermediateDir) => "obj/VideoDataset/",
            // No shard set: the whole dataset, as ResolveDatasetSettings makes it.
            nameof(DatasetSettings.ShardIndex) => "0",
            nameof(DatasetSettings.ShardCount) => "1",
            _ => PropsDefaults.GetValueOrDefault(name) ?? "",
        });
        return s.MakeAbsolute(dir);
    }
}
