using System.Text.Json;
using VideoDataset.Core.Dataset;

namespace VideoDataset.Core.Worker;

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
