using Microsoft.Build.Framework;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tasks;

/// <summary>
/// Removes what the VideoDataset targets wrote: tensor files that carry our record, leftover
/// temporary files, manifests, the build's private folder, and (SceneFile set) what the segment
/// stage wrote. With <see cref="UnreferencedOnly"/>
/// it removes only outputs that no annotation refers to any more (prune).
/// </summary>
public sealed class CleanDataset : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    public bool UnreferencedOnly { get; set; }

    public override bool Execute()
    {
        // Clean and prune concern the whole dataset, whatever shard settings came with them.
        var settings = TaskSupport.ReadSettings(Settings) with { ShardIndex = 0, ShardCount = 1 };
        AcquireDatasetLock.Announce(BuildEngine, settings.DatasetDir);
        HashSet<string>? keep = null;
        if (UnreferencedOnly)
        {
            var plan = BuildState.Get(BuildEngine, settings, ProjectFile, refresh: true).Plan;
            if (plan.HasErrors)
            {
                foreach (var d in plan.Diagnostics) Log.Log(d);
                Log.Error(DiagnosticCodes.PruneRefused, ProjectFile, "Not pruning: the annotations have errors, so what is referenced is not known.");
                return false;
            }
            keep = plan.Latents.Select(l => l.OutputPath).Concat(plan.Texts.Select(t => t.OutputPath)).ToHashSet(StringComparer.Ordinal);
        }
        int removed = 0;
        foreach (string folder in new[] { "latents", "text" })
        {
            string dir = Path.Combine(settings.DatasetDir, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (string f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                bool ours = Path.GetFileName(f).Contains(AtomicFile.TempMarker, StringComparison.Ordinal) || IsOurs(f);
                if (!ours || (keep?.Contains(f) ?? false)) continue;
                File.Delete(f);
                removed++;
            }
            RemoveEmptyFolders(dir);
        }
        if (!UnreferencedOnly && Directory.Exists(settings.DatasetDir))
        {
            foreach (string f in Directory.EnumerateFiles(settings.DatasetDir))
            {
                string name = Path.GetFileName(f);
                if (WriteTrainingManifests.ManifestName().IsMatch(name) || name.Contains(AtomicFile.TempMarker, StringComparison.Ordinal))
                {
                    File.Delete(f);
                    removed++;
                }
            }
            if (Directory.Exists(settings.VideoDatasetIntermediateDir)) Directory.Delete(settings.VideoDatasetIntermediateDir, recursive: true);
        }
        Log.LogMessage(MessageImportance.High, $"VideoDataset: removed {removed} files from '{settings.DatasetDir}'.");
        // With SceneFile set, the EpisodeDir sequence videos and the AnnotationFile are outputs too.
        if (!UnreferencedOnly && settings.HasSegmentStage)
            Log.LogMessage(MessageImportance.High, $"VideoDataset: removed {SegmentState.Clean(settings)} files the segment stage wrote.");
        return true;
    }

    static bool IsOurs(string path)
    {
        if (!path.EndsWith(".pt", StringComparison.Ordinal)) return false;
        try { return TorchTensorFile.ReadMetadata(path)?.ContainsKey("videodataset") ?? false; }
        catch (Exception e) when (e is InvalidDataException or IOException) { return false; }
    }

    static void RemoveEmptyFolders(string dir)
    {
        foreach (string sub in Directory.EnumerateDirectories(dir)) RemoveEmptyFolders(sub);
        if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }
}
