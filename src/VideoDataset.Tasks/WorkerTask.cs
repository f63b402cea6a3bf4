using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
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
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    /// <summary>VideoDataset.Worker.dll.</summary>
    [Required] public string WorkerPath { get; set; } = "";

    /// <summary>Outputs the worker reported complete, with the key each records.</summary>
    protected List<(string Key, string Output)> Finished { get; } = new();
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

    /// <summary>Runs the worker on the stage's items; false when it failed or reported errors.</summary>
    protected bool RunWorker(DatasetSettings settings, List<WorkItem> items)
    {
        var request = new WorkerRequest { Stage = Stage, Settings = settings, Items = items };
        RequestFile = Path.Combine(settings.StateDir, "requests", $"{Stage}-{Guid.NewGuid():N}.json");
        AtomicFile.WriteAllText(RequestFile, request.ToJson());
        try { return base.Execute() && !Log.HasLoggedErrors; }
        finally { File.Delete(RequestFile); }
    }

    protected override void LogEventsFromTextOutput(string line, MessageImportance importance)
    {
        if (line.StartsWith(WorkerProtocol.ProgressPrefix, StringComparison.Ordinal))
            Log.LogMessage(MessageImportance.High, "  " + Stage + ": " + line[WorkerProtocol.ProgressPrefix.Length..]);
        else if (WorkerProtocol.ParseDone(line) is { } done)
        {
            Finished.Add(done);
            // One line per written output (-v:n): a cluster's logs show which shard wrote what.
            Log.LogMessage(MessageImportance.Normal, "  " + Stage + ": wrote " + done.Output);
        }
        else
            base.LogEventsFromTextOutput(line, MessageImportance.Normal); // canonical errors become errors
    }

    // The worker reports its own errors in canonical form; skip the generic "exited with code" then.
    protected override bool HandleTaskExecutionErrors() => Log.HasLoggedErrors ? false : base.HandleTaskExecutionErrors();

    protected bool RefuseInQuestionMode(int count, string what)
    {
        if (!FailIfNotIncremental || count == 0) return false;
        Log.LogError(null, DiagnosticCodes.NotIncremental, null, ProjectFile, 0, 0, 0, 0, $"Stale: {count} {what} would be encoded.");
        return true;
    }
}
