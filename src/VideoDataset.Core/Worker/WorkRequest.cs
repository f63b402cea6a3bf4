using System.Text.Json;
using System.Text.Json.Serialization;

namespace VideoDataset.Core.Worker;

/// <summary>One output for the worker to produce.</summary>
public sealed record WorkItem
{
    /// <summary>The video path (latents) or the string to encode (text).</summary>
    public required string Input { get; init; }
    public required string Output { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = new();
    /// <summary>The annotation line the item comes from (for errors that point at it), 0 if none.</summary>
    public int Line { get; init; }
    /// <summary>Number of 3-second segments the annotation gives the video (latents).</summary>
    public int Segments { get; init; }
    /// <summary>A short name for progress lines.</summary>
    public string Label { get; init; } = "";
}

/// <summary>
/// What a task hands the worker: a stage, its settings and the stale items only, as a JSON file
/// (like the C# compiler's response file). Usable by hand, e.g. inside a cluster job.
/// </summary>
public sealed record WorkRequest
{
    public const string Latents = "latents";
    public const string Text = "text";

    public required string Stage { get; init; }
    public string AnnotationFile { get; init; } = "";
    public string ModelDir { get; init; } = "";
    public string TokenizerDir { get; init; } = "";
    public int Fps { get; init; } = 16;
    public int SegmentSeconds { get; init; } = 3;
    public int FrameWidth { get; init; } = 720;
    public int FrameHeight { get; init; } = 480;
    public int ChunkFrames { get; init; } = 16;
    public int TextMaxLength { get; init; } = 498;
    public int BatchSize { get; init; } = 8;
    public string Device { get; init; } = "auto";
    public List<WorkItem> Items { get; init; } = new();

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static WorkRequest Load(string path) =>
        JsonSerializer.Deserialize<WorkRequest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty request");
}

/// <summary>The lines a worker writes on stdout besides canonical errors and warnings.</summary>
public static class WorkerProtocol
{
    public const string ProgressPrefix = "vds-progress: ";
    public const string DonePrefix = "vds-done: ";

    public static string Progress(int done, int total, string label, TimeSpan? eta) =>
        $"{ProgressPrefix}{done}/{total} {label}" + (eta is { } t ? $" (ETA {(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00})" : "");

    public static string Done(string output) => DonePrefix + output;
}
