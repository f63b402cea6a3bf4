using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tasks;

/// <summary>
/// Proves a dataset is current without loading a model or changing anything: one error per
/// missing, corrupt or stale output and per input that no longer matches what its output was
/// built from; warnings for outputs nothing refers to any more. With SceneFile set, the segment
/// stage's sequence videos and annotation file are verified too.
/// </summary>
public sealed class VerifyDataset : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";

    public const string Missing = "VDS5101";
    public const string Corrupt = "VDS5102";
    public const string Stale = "VDS5103";
    public const string ManifestStale = "VDS5104";
    public const string Unreferenced = "VDS5105";

    public override bool Execute()
    {
        var settings = TaskSupport.ReadSettings(Settings);
        // With SceneFile set, the sequence videos and the annotation file are outputs too: verified first.
        if (settings.HasSegmentStage) SegmentState.Create(settings, ProjectFile, Log)?.Verify(Log);
        // Fresh state: verification trusts no cache for outputs, only for input content hashes.
        var state = BuildState.Get(BuildEngine, settings, ProjectFile, refresh: true);
        var plan = state.Plan;
        foreach (var d in plan.Diagnostics) Log.Log(d);
        if (plan.HasErrors) return false;

        int checkedFiles = 0;
        foreach (var l in plan.Latents)
        {
            var meta = Check(l.OutputPath, $"the latent of '{l.Entry.Video}'", l.Key);
            checkedFiles++;
            if (meta is null || meta.GetValueOrDefault("key") == l.Key) continue;
            string why = meta.GetValueOrDefault("video_sha256") != l.VideoSha256
                ? $"the video '{l.Entry.Video}' changed since its latent was built"
                : "the VAE recipe (weights, settings or encoder version) changed since it was built";
            Log.LogError(null, Stale, null, l.OutputPath, 0, 0, 0, 0, $"Stale latent: {why}. Run a build to re-encode it.");
        }
        foreach (var t in plan.Texts)
        {
            checkedFiles++;
            var meta = Check(t.OutputPath, $"the embedding of \"{Shorten(t.Text)}\"", t.Key);
            if (meta is not null && (meta.GetValueOrDefault("key") != t.Key || meta.GetValueOrDefault("text") != t.Text))
                Log.LogError(null, Corrupt, null, t.OutputPath, 0, 0, 0, 0, $"The embedding records another text or key than its name says: expected key {t.Key}.");
        }
        foreach (var m in plan.Manifests)
        {
            if (!File.Exists(m.OutputPath))
                Log.LogError(null, Missing, null, m.OutputPath, 0, 0, 0, 0, $"Missing manifest: expected {m.Lines.Count} videos of {m.Seconds} s.");
            else if (File.ReadAllText(m.OutputPath) != m.Content)
                Log.LogError(null, ManifestStale, null, m.OutputPath, 0, 0, 0, 0, "Stale manifest: its content differs from what the annotations and outputs give. Run a build.");
        }

        // Outputs that nothing refers to any more (edited texts, removed videos).
        var known = plan.Latents.Select(l => l.OutputPath).Concat(plan.Texts.Select(t => t.OutputPath)).ToHashSet(StringComparer.Ordinal);
        foreach (string folder in new[] { "latents", "text" })
        {
            string dir = Path.Combine(settings.DatasetDir, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (string f in Directory.EnumerateFiles(dir, "*.pt", SearchOption.AllDirectories))
                if (!known.Contains(f))
                    Log.LogWarning(null, Unreferenced, null, f, 0, 0, 0, 0, "No annotation refers to this output any more; `-t:Clean` or `-t:PruneDataset` removes it.");
        }
        if (!Log.HasLoggedErrors)
            Log.LogMessage(MessageImportance.High, $"VideoDataset: verified {checkedFiles} outputs and {plan.Manifests.Count} manifests: the dataset is current.");
        return !Log.HasLoggedErrors;
    }

    IReadOnlyDictionary<string, string>? Check(string path, string what, string key)
    {
        if (!File.Exists(path))
        {
            Log.LogError(null, Missing, null, path, 0, 0, 0, 0, $"Missing: {what} has not been built.");
            return null;
        }
        try { return TorchTensorFile.Read(path).Metadata; }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            Log.LogError(null, Corrupt, null, path, 0, 0, 0, 0, $"Corrupt: {what} cannot be read back ({e.Message}). Delete it and run a build.");
            return null;
        }
    }

    static string Shorten(string s) => s.Length <= 50 ? s : s[..50] + "…";
}
