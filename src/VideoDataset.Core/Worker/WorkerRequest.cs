using System.Text.Json;
using VideoDataset.Core.Dataset;
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

/// <summary>
/// What a task hands the worker: a stage, the build's settings (resolved: absolute paths, the
/// device to compute on) and the stale items only, as a JSON file, like the C# compiler's
/// response file. Usable by hand, e.g. inside a cluster job.
/// </summary>
public sealed record WorkerRequest
{
    public const string Latents = "latents";
    public const string Text = "text";
    public const string Segments = "segments";

    public required string Stage { get; init; }
    public required DatasetSettings Settings { get; init; }
    public required List<WorkItem> Items { get; init; }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static WorkerRequest Load(string path) =>
        JsonSerializer.Deserialize<WorkerRequest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty request");
}

/// <summary>The lines a worker writes on stdout besides canonical errors and warnings.</summary>
public static class WorkerProtocol
{
    public const string ProgressPrefix = "vds-progress: ";
    public const string DonePrefix = "vds-done: ";

    public static string Progress(int done, int total, string label, TimeSpan? eta) =>
        $"{ProgressPrefix}{done}/{total} {label}" + (eta is { } t ? $" (ETA {(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00})" : "");

    /// <summary>An output is complete and records <see cref="WorkItem.Key"/>: "vds-done: &lt;key&gt; &lt;path&gt;".</summary>
    public static string Done(WorkItem item) => $"{DonePrefix}{item.Key} {item.Output}";

    /// <summary>The key and path of a done line; null for any other line.</summary>
    public static (string Key, string Output)? ParseDone(string line)
    {
        if (!line.StartsWith(DonePrefix, StringComparison.Ordinal)) return null;
        string rest = line[DonePrefix.Length..];
        int space = rest.IndexOf(' ');
        return space <= 0 ? null : (rest[..space], rest[(space + 1)..]);
    }
}
