namespace VideoDataset.Core.Dataset;

/// <summary>One manifest line (DESIGN §2): paths relative to DatasetDir with forward slashes.</summary>
public sealed record ManifestLine(string VidEmb, IReadOnlyList<string> TextChunkEmb, string Video);
