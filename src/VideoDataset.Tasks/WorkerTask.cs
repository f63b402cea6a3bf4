using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.IO;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>
/// Starts the worker process for a batch of stale items, as the Csc task starts the compiler:
/// the request goes in a file, progress and canonical diagnostics come back on stdout and are
/// relayed to the log. Model code never loads into MSBuild; cancelling kills the worker at once.
/// </summary>
public abstract class WorkerTask : ToolTask // ToolTask is an IIncrementalTask: FailIfNotIncremental under -question
{
    public ITaskItem Settings { get; set; } = null!;
    public string ProjectFile { get; set; } = "";
    /// <summary>VideoDataset.Worker.dll.</summary>
    [Required] public string WorkerPath { get; set; } = "";

    /// <summary>Outputs the worker reported finished.</summary>
    protected List<string> Finished { get; } = new();
    protected string RequestFile { get; private set; } = "";
    protected abstract string Stage { get; }

    protected override string ToolName => "dotnet";

    protected override string GenerateFullPathToTool()
    {
        // The SDK tells MSBuild which dotnet runs it; otherwise look on PATH.
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return "dotnet";
    }

    protected override string GenerateCommandLineCommands() => $"\"{WorkerPath}\" {Stage} --request \"{RequestFile}\"";

    /// <summary>Runs the worker on a request; false when it failed or reported errors.</summary>
    protected bool RunWorker(DatasetSettings settings, WorkRequest request) => RunWorker(settings, request.ToJson());

    /// <summary>Runs the worker on a request given as its JSON (stages with their own request type).</summary>
    protected bool RunWorker(DatasetSettings settings, string requestJson)
    {
        RequestFile = Path.Combine(settings.IntermediateDir, "requests", $"{Stage}-{Guid.NewGuid():N}.json");
        AtomicFile.WriteAllText(RequestFile, requestJson);
        try { return base.Execute() && !Log.HasLoggedErrors; }
        finally { File.Delete(RequestFile); }
    }

    protected override void LogEventsFromTextOutput(string line, MessageImportance importance)
    {
        if (line.StartsWith(WorkerProtocol.ProgressPrefix, StringComparison.Ordinal))
            Log.LogMessage(MessageImportance.High, "  " + Stage + ": " + line[WorkerProtocol.ProgressPrefix.Length..]);
        else if (line.StartsWith(WorkerProtocol.DonePrefix, StringComparison.Ordinal))
            Finished.Add(line[WorkerProtocol.DonePrefix.Length..]);
        else
            base.LogEventsFromTextOutput(line, MessageImportance.Normal); // canonical errors become errors
    }

    // The worker reports its own errors in canonical form; skip the generic "exited with code" then.
    protected override bool HandleTaskExecutionErrors() => Log.HasLoggedErrors ? false : base.HandleTaskExecutionErrors();

    protected bool RefuseInQuestionMode(int count, string what)
    {
        if (!FailIfNotIncremental || count == 0) return false;
        Log.LogError(null, "VDS5020", null, ProjectFile, 0, 0, 0, 0, $"Stale: {count} {what} would be encoded.");
        return true;
    }

    protected static WorkRequest BaseRequest(DatasetSettings s, string stage, string modelDir) => new()
    {
        Stage = stage, AnnotationFile = s.AnnotationFile, ModelDir = modelDir, TokenizerDir = s.ResolvedTokenizerDir,
        Fps = s.Fps, SegmentSeconds = s.SegmentSeconds, FrameWidth = s.FrameWidth, FrameHeight = s.FrameHeight,
        ChunkFrames = s.VaeChunkFrames, TextMaxLength = s.TextMaxLength, Device = s.TorchDevice,
    };
}

/// <summary>Encodes the VAE latents of the videos whose latent is stale (DESIGN §2, §4).</summary>
public sealed class EncodeVideoLatents : WorkerTask
{
    /// <summary>The latents MSBuild found out of date (their stamps newer); each is checked again here.</summary>
    public ITaskItem[] Latents { get; set; } = [];
    [Output] public ITaskItem[] Written { get; set; } = [];
    protected override string Stage => WorkRequest.Latents;

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        var state = BuildState.Get(BuildEngine, settings, ProjectFile);
        var byPath = state.Plan.Latents.ToDictionary(l => l.OutputPath, StringComparer.Ordinal);
        var stale = Latents.Select(i => byPath.GetValueOrDefault(i.GetMetadata("FullPath")))
            .Where(l => l is not null && !OutputState.IsFresh(l.OutputPath, l.Key, state.OutputKeys)).Select(l => l!).ToList();
        if (stale.Count == 0) return true;
        if (!state.Plan.ModelsUsable) return false; // PrepareDataset reported why
        if (RefuseInQuestionMode(stale.Count, "latents")) return false;

        var request = BaseRequest(settings, Stage, settings.ResolvedVaeDir) with
        {
            Items = stale.Select(l => new WorkItem
            {
                Input = l.Entry.VideoPath, Output = l.OutputPath, Metadata = l.Metadata(state.Plan.LatentRecipe),
                Line = l.Entry.Line, Segments = l.Entry.Segments, Label = l.Entry.Video,
            }).ToList(),
        };
        Log.LogMessage(MessageImportance.High, $"VideoDataset: encoding {stale.Count} latents with the VAE in '{settings.ResolvedVaeDir}'.");
        bool ok = RunWorker(settings, request);
        foreach (string f in Finished) OutputState.RecordedKey(f, state.OutputKeys);
        state.SaveCaches();
        Written = Finished.Select(f => (ITaskItem)new TaskItem(f)).ToArray();
        return ok;
    }
}

/// <summary>Encodes the T5 embeddings of the distinct texts that have none yet (content-addressed).</summary>
public sealed class EncodeTextEmbeddings : WorkerTask
{
    public ITaskItem[] TextEmbeddings { get; set; } = [];
    public int BatchSize { get; set; } = 8;
    [Output] public ITaskItem[] Written { get; set; } = [];
    protected override string Stage => WorkRequest.Text;

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        var state = BuildState.Get(BuildEngine, settings, ProjectFile);
        var byPath = state.Plan.Texts.ToDictionary(t => t.OutputPath, StringComparer.Ordinal);
        var missing = TextEmbeddings.Select(i => byPath.GetValueOrDefault(i.GetMetadata("FullPath")))
            .Where(t => t is not null && !File.Exists(t.OutputPath)).Select(t => t!).ToList();
        if (missing.Count == 0) return true;
        if (!state.Plan.ModelsUsable) return false; // PrepareDataset reported why
        if (RefuseInQuestionMode(missing.Count, "text embeddings")) return false;

        var request = BaseRequest(settings, Stage, settings.ResolvedT5Dir) with
        {
            BatchSize = BatchSize,
            Items = missing.Select(t => new WorkItem { Input = t.Text, Output = t.OutputPath, Metadata = t.Metadata(), Label = t.Key[..12] }).ToList(),
        };
        Log.LogMessage(MessageImportance.High, $"VideoDataset: encoding {missing.Count} texts with the T5 in '{settings.ResolvedT5Dir}'.");
        bool ok = RunWorker(settings, request);
        Written = Finished.Select(f => (ITaskItem)new TaskItem(f)).ToArray();
        return ok;
    }
}

/// <summary>Builds the ModelDir=tiny models (deterministic small weights) on first use.</summary>
public sealed class GenerateTinyModel : WorkerTask
{
    [Required] public string OutputDirectory { get; set; } = "";
    protected override string Stage => "tiny-model";
    protected override string GenerateCommandLineCommands() => $"\"{WorkerPath}\" tiny-model --out \"{OutputDirectory}\"";

    public override bool Execute()
    {
        if (RefuseInQuestionMode(1, "tiny models")) return false;
        return base.Execute() && !Log.HasLoggedErrors;
    }
}
