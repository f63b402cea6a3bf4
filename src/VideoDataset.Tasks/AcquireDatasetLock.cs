using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Tasks;

/// <summary>
/// Takes the DatasetDir's lock for the rest of the build (DESIGN §8): shared by the shards of one
/// dataset, exclusive for the whole dataset's build (the final step), Clean and PruneDataset. A
/// conflicting build fails at once with a message naming the holder instead of racing or waiting.
/// A shard also holds its own lock alone, so a second copy of the same shard is refused the same way.
/// The engine disposes the lock when the build ends.
/// </summary>
public sealed class AcquireDatasetLock : Microsoft.Build.Utilities.Task
{
    [Required] public string DatasetDir { get; set; } = "";
    public int ShardIndex { get; set; }
    public int ShardCount { get; set; } = 1;
    /// <summary>Clean and PruneDataset: exclusive whatever the shard settings say.</summary>
    public bool Exclusive { get; set; }
    /// <summary>What this build is, for the message of a build it refuses ("Clean").</summary>
    public string Purpose { get; set; } = "";

    public static string Key(string datasetDir) => "VideoDataset.Lock|" + Path.GetFullPath(datasetDir);

    public override bool Execute()
    {
        string dir = Path.GetFullPath(DatasetDir);
        var engine = (IBuildEngine4)BuildEngine;
        if (engine.GetRegisteredTaskObject(Key(dir), RegisteredTaskObjectLifetime.Build) is not null) return true;
        var shard = new Shard(ShardIndex, ShardCount);
        bool shared = shard.IsPart && !Exclusive;
        string description = Purpose != "" ? Purpose : shard.IsPart ? shard.ToString() : "the whole dataset's build (final step)";
        bool sameShard = false;
        string holder;
        var held = shared ? DatasetLock.TryAcquireShard(dir, shard, out holder, out sameShard)
            : DatasetLock.TryAcquire(dir, shared, description, out holder);
        if (held is null && sameShard)
        {
            Log.Error(DiagnosticCodes.DatasetLocked, DatasetLock.ShardLockFile(dir, shard),
                $"Another build is writing this DatasetDir ({holder}): {shard} is already running there, and two copies of one shard would encode the same items. Wait for it to end, or stop it (scancel, kubectl delete pod) before you start this shard again.");
            return false;
        }
        if (held is null)
        {
            string want = shared ? $"{shard} needs the dataset shared with its other shards only"
                : "this build needs the dataset alone (the whole dataset's build, Clean and PruneDataset exclude every shard)";
            Log.Error(DiagnosticCodes.DatasetLocked, Path.Combine(dir, DatasetLock.FileName),
                $"Another build is writing this DatasetDir ({holder}): {want}. Wait for that build to end (for a final step: submit it with --dependency=afterok on the array), or use another DatasetDir.");
            return false;
        }
        engine.RegisterTaskObject(Key(dir), held, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return true;
    }

    /// <summary>Records this build as the lock's holder just before its first write to DatasetDir (a no-op build never calls it).</summary>
    public static void Announce(IBuildEngine engine, string datasetDir)
    {
        if ((engine as IBuildEngine4)?.GetRegisteredTaskObject(Key(datasetDir), RegisteredTaskObjectLifetime.Build) is DatasetLock held)
            held.Announce();
    }
}
