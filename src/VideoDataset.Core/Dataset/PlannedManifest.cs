namespace VideoDataset.Core.Dataset;

/// <summary>One manifest-&lt;L&gt;s.jsonl: its lines in annotation order.</summary>
public sealed record PlannedManifest(int Seconds, string OutputPath, IReadOnlyList<ManifestLine> Lines)
{
    /// <summary>The full manifest, every line included.</summary>
    public string Content => ManifestWriter.Render(Lines);

    /// <summary>The manifest of the lines whose outputs all exist (a failed video is left out, not faked).</summary>
    public string ContentOfBuilt(string datasetDir) => ManifestWriter.Render(Lines.Where(l =>
        File.Exists(Path.Combine(datasetDir, l.VidEmb)) && l.TextChunkEmb.All(t => File.Exists(Path.Combine(datasetDir, t)))));
}
