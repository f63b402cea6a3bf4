using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Staleness;

namespace VideoDataset.Tasks;

static class TaskSupport
{
    /// <summary>The build's settings, passed to every task as one item whose metadata are the properties.</summary>
    public static DatasetSettings ReadSettings(ITaskItem item)
    {
        string S(string name) => item.GetMetadata(name);
        int I(string name, int fallback) => int.TryParse(S(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;
        string Full(string p) => p == "" ? "" : Path.GetFullPath(p);
        return new DatasetSettings
        {
            EpisodeDir = Full(S("EpisodeDir")),
            AnnotationFile = Full(S("AnnotationFile")),
            DatasetDir = Full(S("DatasetDir")),
            IntermediateDir = Full(S("IntermediateDir")),
            ModelDir = S("ModelDir"),
            VaeModelDir = S("VaeModelDir"),
            T5ModelDir = S("T5ModelDir"),
            TokenizerDir = S("TokenizerDir"),
            Fps = I("Fps", 16),
            SegmentSeconds = I("SegmentSeconds", 3),
            FrameWidth = I("FrameWidth", 720),
            FrameHeight = I("FrameHeight", 480),
            VaeChunkFrames = I("VaeChunkFrames", I("Fps", 16)),
            TextMaxLength = I("TextMaxLength", 498),
            TorchDevice = S("TorchDevice") is { Length: > 0 } d ? d.ToLowerInvariant() : "auto",
            CudaBuild = string.Equals(S("CudaBuild"), "true", StringComparison.OrdinalIgnoreCase),
        };
    }

    public static void Log(this TaskLoggingHelper log, Diagnostic d)
    {
        if (d.Severity == Severity.Error)
            log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
        else
            log.LogWarning(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
    }

    public static void Error(this TaskLoggingHelper log, string code, string file, string message) =>
        log.LogError(null, code, null, file, 0, 0, 0, 0, message);
}

/// <summary>
/// What the tasks of one build share: the plan and the caches. Registered with the build engine
/// for the build's lifetime, so the plan is made once per build and never outlives it.
/// </summary>
sealed class BuildState
{
    public required DatasetPlan Plan { get; init; }
    public required FileStampCache ContentHashes { get; init; }
    public required FileStampCache OutputKeys { get; init; }

    public static string CachePath(DatasetSettings s, string name) => Path.Combine(s.IntermediateDir, name);

    /// <summary>The build's state: the registered one when an earlier task made it, else a new one.</summary>
    public static BuildState Get(IBuildEngine engine, DatasetSettings settings, string projectFile, bool refresh = false)
    {
        string key = "VideoDataset.BuildState|" + projectFile + "|" + settings;
        var engine4 = engine as IBuildEngine4;
        if (!refresh && engine4?.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is BuildState known) return known;
        var hashes = FileStampCache.Load(CachePath(settings, "content-hashes.tsv"));
        var state = new BuildState
        {
            ContentHashes = hashes,
            OutputKeys = FileStampCache.Load(CachePath(settings, "output-keys.tsv")),
            Plan = DatasetPlan.Create(settings, hashes, projectFile),
        };
        engine4?.UnregisterTaskObject(key, RegisteredTaskObjectLifetime.Build); // a refresh replaces the older state
        engine4?.RegisterTaskObject(key, state, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return state;
    }

    public void SaveCaches()
    {
        ContentHashes.Save();
        OutputKeys.Save();
    }
}
