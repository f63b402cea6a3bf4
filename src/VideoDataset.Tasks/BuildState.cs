using Microsoft.Build.Framework;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
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
    public required AnnotationParseCache ParsedAnnotations { get; init; }
    /// <summary>Where making the state spent its time (caches, then the plan's phases), for the log.</summary>
    public required string Timings { get; init; }

    /// <summary>
    /// The outputs PrepareDataset found present and fresh, in this build, under the dataset's lock,
    /// by their paths relative to DatasetDir (empty until it has decided).
    /// </summary>
    public HashSet<string> Present { get; set; } = [];

    /// <summary>Whether a planned output exists now, by its path relative to DatasetDir: the file system is asked only about those not found present and fresh.</summary>
    public bool Exists(string relativePath) => Present.Contains(relativePath) || File.Exists(Path.Combine(Plan.Settings.DatasetDir, relativePath));

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
        var timer = new PhaseTimer();
        var loadingHashes = Task.Run(() => LoadCache(settings, "content-hashes.tsv")); // the two largest files, read side by side
        var outputKeys = LoadCache(settings, "output-keys.tsv");
        var hashes = loadingHashes.GetAwaiter().GetResult();
        var parsed = new AnnotationParseCache(CachePath(settings, "annotations.parsed"));
        timer.Done("caches");
        var plan = DatasetPlan.Create(settings, hashes, projectFile, ComputeDevice.VisibleGpus(), parsed);
        var state = new BuildState
        {
            ContentHashes = hashes, OutputKeys = outputKeys, ParsedAnnotations = parsed, Plan = plan,
            Timings = timer + ", " + plan.Timings,
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
        ParsedAnnotations.Save();
    }
}
