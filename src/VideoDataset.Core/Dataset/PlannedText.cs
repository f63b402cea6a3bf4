namespace VideoDataset.Core.Dataset;

/// <summary>One distinct encoded string: content-addressed, so its path changes whenever its key does.</summary>
public sealed record PlannedText(string Text, string Key, string OutputPath, string RelativePath)
{
    public Dictionary<string, string> Metadata() => new()
    {
        ["videodataset"] = "1", ["stage"] = "text", ["key"] = Key, ["text"] = Text,
    };
}
