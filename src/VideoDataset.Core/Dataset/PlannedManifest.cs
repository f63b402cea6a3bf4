namespace VideoDataset.Core.Dataset;

/// <summary>One manifest-&lt;L&gt;s.jsonl: its lines in annotation order.</summary>
public sealed record PlannedManifest(int Seconds, string OutputPath, IReadOnlyList<ManifestLine> Lines)
{
    /// <summary>The full manifest, every line included.</summary>
    public string Content => ManifestWriter.Render(Lines);

    /// <summary>The manifest of the lines whose outputs all exist (a failed video is left out, not faked).</summary>
    public string ContentOfBuilt(string datasetDir) => ContentOfBuilt(relative => File.Exists(Path.Combine(datasetDir, relative)));

    /// <param name="exists">Whether an output exists, by its path relative to DatasetDir (a build knows most answers from its freshness decision).</param>
    public string ContentOfBuilt(Func<string, bool> exists) => ManifestWriter.Render(BuiltLines(exists));

    /// <summary>The lines whose outputs all exist, by <paramref name="exists"/> (see <see cref="ContentOfBuilt(Func{string, bool})"/>).</summary>
    public IEnumerable<ManifestLine> BuiltLines(Func<string, bool> exists) => Lines.Where(l => exists(l.VidEmb) && l.TextChunkEmb.All(exists));
}
