namespace VideoDataset.Core.Segments;

/// <summary>The times of one segment: its start, and the end of its scene (frames at or after it are never used).</summary>
public readonly record struct SegmentTiming(double Start, double SceneEnd);
