using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>
/// Makes the package consumer's worker in obj/ from the package's managed files and the restored
/// model runtime (Core's WorkerFolder does the work); runs on every build, and costs a few file
/// checks when the worker is current.
/// </summary>
public sealed class AssembleWorker : Microsoft.Build.Utilities.Task
{
    [Required] public string ManagedDirectory { get; set; } = "";
    [Required] public string WorkerRoot { get; set; } = "";
    [Required] public string ProjectAssetsFile { get; set; } = "";
    [Required] public string ProjectFile { get; set; } = "";
    [Required] public string HostRuntimeIdentifier { get; set; } = "";
    [Required] public string PackageVersion { get; set; } = "";
    [Required] public string TorchSharpVersion { get; set; } = "";
    [Required] public string LibTorchPackage { get; set; } = "";
    [Required] public string LibTorchVersion { get; set; } = "";

    /// <summary>VideoDataset.Worker.dll in the assembled folder.</summary>
    [Output] public string WorkerPath { get; set; } = "";

    public override bool Execute()
    {
        var folder = new WorkerFolder
        {
            ManagedDir = ManagedDirectory, Root = WorkerRoot, AssetsFile = ProjectAssetsFile, ProjectFile = ProjectFile,
            HostRuntime = HostRuntimeIdentifier, PackageVersion = PackageVersion, TorchSharpVersion = TorchSharpVersion,
            LibTorchPackage = LibTorchPackage, LibTorchVersion = LibTorchVersion,
        };
        var diagnostics = new List<Diagnostic>();
        try
        {
            if (folder.Ensure(diagnostics, message => Log.LogMessage(MessageImportance.High, message)) == WorkerFolder.Outcome.Failed)
            {
                foreach (var d in diagnostics) Log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            Log.LogError(null, "VDS0915", null, ProjectFile, 0, 0, 0, 0, $"Could not assemble the VideoDataset worker in '{WorkerRoot}': {e.Message}");
            return false;
        }
        WorkerPath = folder.WorkerPath;
        return true;
    }
}
