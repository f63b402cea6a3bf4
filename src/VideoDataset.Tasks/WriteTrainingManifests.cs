using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Tasks;

/// <summary>
/// Writes manifest-&lt;L&gt;s.jsonl, one per video length, in annotation order, only when its content
/// changes. A line appears only once all its outputs exist; manifests of lengths no longer
/// annotated are removed, so the trainer never reads a stale list.
/// </summary>
public sealed partial class WriteTrainingManifests : Microsoft.Build.Utilities.Task, IIncrementalTask
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    public bool FailIfNotIncremental { get; set; }
    /// <summary>True when an earlier stage of this build failed: then a manifest that would lose lines is kept as it was.</summary>
    public bool StagesFailed { get; set; }

    [GeneratedRegex(@"^manifest-[0-9]+s\.jsonl$")]
    internal static partial Regex ManifestName();

    static bool LinesKept(string old, string next)
    {
        var lines = next.Split('\n').ToHashSet(StringComparer.Ordinal);
        return old.Split('\n').All(lines.Contains);
    }

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        if (settings.Shard.IsPart)
        {
            Log.LogMessage(MessageImportance.High, $"VideoDataset: {settings.Shard}: no manifest written (the final build, without ShardIndex, writes them).");
            return true;
        }
        var state = BuildState.Get(BuildEngine, settings, ProjectFile);
        var plan = state.Plan;
        foreach (var manifest in plan.Manifests)
        {
            var bytes = ManifestWriter.RenderUtf8(manifest.BuiltLines(state.Exists));
            if (AtomicFile.Holds(manifest.OutputPath, bytes.Span)) continue; // current: the no-op, decided without making strings
            string content = Encoding.UTF8.GetString(bytes.Span);
            if (content == "" && !File.Exists(manifest.OutputPath)) continue;
            string? old = File.Exists(manifest.OutputPath) ? File.ReadAllText(manifest.OutputPath) : null;
            if (old is not null && old != content && StagesFailed && !LinesKept(old, content))
            {
                // A failure (a broken model folder, a bad video) must not empty the trainer's list: the
                // last good manifest stays, and VerifyDataset reports it stale until a build succeeds.
                Log.LogWarning(null, DiagnosticCodes.ManifestKept, null, manifest.OutputPath, 0, 0, 0, 0,
                    "Left as it was: this build failed to produce outputs that the manifest lists. Fix the errors above and build again.");
                continue;
            }
            if (old != content)
            {
                if (FailIfNotIncremental) { Log.Error(DiagnosticCodes.NotIncremental, manifest.OutputPath, "Stale: the manifest would be rewritten."); continue; }
                AcquireDatasetLock.Announce(BuildEngine, settings.DatasetDir);
                AtomicFile.WriteTextIfDifferent(manifest.OutputPath, content);
                int lines = content.Count(c => c == '\n');
                Log.LogMessage(MessageImportance.High, $"VideoDataset: wrote {Path.GetFileName(manifest.OutputPath)} ({lines} of {manifest.Lines.Count} videos).");
            }
        }
        var planned = plan.Manifests.Select(m => Path.GetFileName(m.OutputPath)).ToHashSet(StringComparer.Ordinal);
        if (Directory.Exists(settings.DatasetDir))
            foreach (string old in Directory.EnumerateFiles(settings.DatasetDir, "manifest-*s.jsonl"))
            {
                string name = Path.GetFileName(old);
                if (!ManifestName().IsMatch(name) || planned.Contains(name)) continue;
                if (FailIfNotIncremental) { Log.Error(DiagnosticCodes.NotIncremental, old, "Stale: this manifest's length is no longer annotated; it would be removed."); continue; }
                AcquireDatasetLock.Announce(BuildEngine, settings.DatasetDir);
                File.Delete(old);
                Log.LogMessage(MessageImportance.High, $"VideoDataset: removed {name}: no video of that length is annotated now.");
            }
        return !Log.HasLoggedErrors;
    }
}
