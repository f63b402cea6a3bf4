using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Tasks;

/// <summary>
/// Takes the DatasetDir's lock for the rest of the build, so a second build on the same dataset
/// fails at once with a clear message instead of racing. The engine disposes it when the build ends.
/// </summary>
public sealed class AcquireDatasetLock : Microsoft.Build.Utilities.Task
{
    [Required] public string DatasetDir { get; set; } = "";

    public override bool Execute()
    {
        string dir = Path.GetFullPath(DatasetDir);
        string key = "VideoDataset.Lock|" + dir;
        var engine = (IBuildEngine4)BuildEngine;
        if (engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is not null) return true;
        var held = DatasetLock.TryAcquire(dir, out string holder);
        if (held is null)
        {
            Log.Error(DiagnosticCodes.DatasetLocked, Path.Combine(dir, DatasetLock.FileName),
                $"Another build is writing this DatasetDir ({(holder == "" ? "lock held" : holder)}): expected it to be free. Wait for that build to end, or use another DatasetDir.");
            return false;
        }
        engine.RegisterTaskObject(key, held, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return true;
    }
}
