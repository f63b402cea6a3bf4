using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tasks;

/// <summary>
/// What the tasks of one build share: the plan and the caches. Registered with the build engine
/// for the build's lifetime, so the plan is made once per build and never outlives it.
/// </summary>
sealed class BuildState
{
    public required DatasetPlan Plan { get; init; }
    public required FileStampCache ContentHashes { get; init; }
    public required FileStampCache OutputKeys { get; init; }

    public static string CachePath(DatasetSettings s, string name) => Path.Combine(s.StateDir, name);

    /// <summary>The whole dataset's build (the final step) borrows what the shards' caches know; a shard borrows nothing.</summary>
    public static FileStampCache LoadCache(DatasetSettings s, string name)
    {
        var shardCaches = s.Shard.IsPart || !Directory.Exists(s.VideoDatasetIntermediateDir) ? []
            : Directory.EnumerateDirectories(s.VideoDatasetIntermediateDir, "shard-*-of-*").Select(d => Path.Combine(d, name)).Order(StringComparer.Ordinal).ToList();
        return FileStampCache.Load(CachePath(s, name), shardCaches);
    }

    /// <summary>The build's state: the registered one when an earlier task made it, else a new one.</summary>
    public static BuildState Get(IBuildEngine engine, DatasetSettings settings, string projectFile, bool refresh = false)
    {
        string key = "VideoDataset.BuildState|" + projectFile + "|" + settings;
        var engine4 = engine as IBuildEngine4;
        if (!refresh && engine4?.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is BuildState known) return known;
        var hashes = LoadCache(settings, "content-hashes.tsv");
        var state = new BuildState
        {
            ContentHashes = hashes,
            OutputKeys = LoadCache(settings, "output-keys.tsv"),
            Plan = DatasetPlan.Create(settings, hashes, projectFile, ComputeDevice.VisibleGpus()),
        };
        engine4?.UnregisterTaskObject(key, RegisteredTaskObjectLifetime.Build); // a refresh replaces the older state
        engine4?.RegisterTaskObject(key, state, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return state;
    }

    /// <summary>Saves the caches that changed (each atomically; an unchanged one is not rewritten).</summary>
    public void SaveCaches()
    {
        ContentHashes.Save();
        OutputKeys.Save();
    }
}
