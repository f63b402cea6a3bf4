using VideoDataset.Core.Segments;

namespace VideoDataset.Core.Worker;

/// <summary>One output for the worker to produce, in any stage.</summary>
public sealed record WorkItem
{
    /// <summary>The video (latents), the string to encode (text) or the raw episode (segments).</summary>
    public required string Input { get; init; }
    public required string Output { get; init; }
    /// <summary>The key the output records; the worker reports it back with the output when it is written.</summary>
    public required string Key { get; init; }
    /// <summary>What the tensor file records besides its data (latents, text).</summary>
    public Dictionary<string, string> Metadata { get; init; } = new();
    /// <summary>The annotation line the item comes from (for errors that point at it), 0 if none.</summary>
    public int Line { get; init; }
    /// <summary>Number of segments the annotation gives the video (latents).</summary>
    public int Segments { get; init; }
    /// <summary>The segments a sequence video is made of (segments stage).</summary>
    public List<SegmentTiming> Timings { get; init; } = new();
    /// <summary>A short name for progress lines.</summary>
    public string Label { get; init; } = "";
}
