namespace VideoDataset.Core.Segments;

/// <summary>One sequence video of <see cref="Seconds"/> s: consecutive segments of one episode.</summary>
public sealed record PlannedSequence(
    string Episode, string RawPath, string RawSha256, int Seconds, int Index,
    IReadOnlyList<PlannedSegment> Segments, string Video, string OutputPath, string Key, IReadOnlyList<string>? Texts)
{
    /// <summary>Whether the sequence has a caption for every segment, so it gets an annotation line and a video.</summary>
    public bool Captioned => Texts is not null;
}
