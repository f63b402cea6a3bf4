using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Report;

/// <summary>One 3-second segment of a row: its text as encoded, its tokens and its outputs.</summary>
public sealed record ReportSegment(
    string Text, bool SceneStart, bool SceneEnd, SegmentTokens? Tokens, bool EndSceneCut,
    string TextEmbeddingPath, bool TextEmbeddingBuilt, string? Thumbnail);

/// <summary>One manifest line (one annotated video).</summary>
public sealed record ReportRow(
    int Line, string Video, string Episode, int Seconds, string LatentPath, string LatentState,
    LatentStats? Stats, bool Outlier, IReadOnlyList<ReportSegment> Segments, IReadOnlyList<Diagnostic> Warnings);

/// <summary>Everything the report shows, gathered once; the HTML is a pure function of it.</summary>
public sealed class ReportModel
{
    public required string Title { get; init; }
    public required string AnnotationFile { get; init; }
    public required string DatasetDir { get; init; }
    /// <summary>DatasetDir relative to the report folder, with forward slashes and a trailing one ("../").</summary>
    public required string DatasetFromReport { get; init; }
    public required int TextMaxLength { get; init; }
    public required int SegmentSeconds { get; init; }
    public required IReadOnlyList<ReportRow> Rows { get; init; }
    public required int DistinctTexts { get; init; }
    /// <summary>(kind, files, bytes), e.g. ("latents", 5, 123456).</summary>
    public required IReadOnlyList<(string Kind, int Files, long Bytes)> DiskUse { get; init; }
    /// <summary>(name, value) pairs: model folders, their identity hashes, every byte-changing setting.</summary>
    public required IReadOnlyList<(string Name, string Value)> Recipe { get; init; }
    /// <summary>Outputs stale or missing when the report was written.</summary>
    public required IReadOnlyList<string> StaleOrMissing { get; init; }
    /// <summary>Per episode, the raw video's timeline (only when SceneFile is set).</summary>
    public IReadOnlyDictionary<string, EpisodeTimeline> Timelines { get; init; } = new Dictionary<string, EpisodeTimeline>();
    /// <summary>Problems of the build (errors included) that name no manifest line.</summary>
    public required IReadOnlyList<Diagnostic> OtherDiagnostics { get; init; }
}
