using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using VideoDataset.Core.Dataset;

namespace VideoDataset.Tasks;

/// <summary>
/// Progress of a dataset, also across shards (DESIGN §8): per stage, how many outputs are current
/// of how many planned, what is still missing, and per shard how much work is left, so a user
/// resubmits only the shards that need it. Reads only the inputs and DatasetDir (caches are read,
/// never saved), loads no model, writes nothing, takes no lock: it may run beside the shards.
/// </summary>
public sealed partial class DatasetStatus : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem Settings { get; set; } = null!;
    [Required] public string ProjectFile { get; set; } = "";
    /// <summary>How many missing outputs are named (the rest are counted).</summary>
    public int ListMissing { get; set; } = 20;

    [GeneratedRegex(@"^shard-[0-9]+-of-([0-9]+)$")]
    private static partial Regex ShardFolder();

    public override bool Execute()
    {
        var given = TaskSupport.ReadSettings(Settings);
        // The whole dataset is planned; the shard count only groups what is left.
        var settings = given with { ShardIndex = 0, ShardCount = 1 };
        int shards = given.ShardCount > 1 ? given.ShardCount : ShardsSeen(settings);
        void Say(string line) => Log.LogMessage(MessageImportance.High, line);

        Say($"VideoDataset status of '{settings.DatasetDir}'" + (shards > 1 ? $" ({shards} shards)" : "") + ":");
        if (settings.HasSegmentStage)
        {
            var segments = SegmentState.Create(settings, ProjectFile, Log);
            if (segments is not null)
            {
                var missing = segments.Wanted.Where(q => segments.Recorded(q.OutputPath) != q.Key).ToList();
                Say($"  sequences: {segments.Wanted.Count - missing.Count} of {segments.Wanted.Count} current");
                Report("sequence", missing.Select(q => (q.Video, q.Video)).ToList(), shards);
            }
            if (!File.Exists(settings.AnnotationFile))
            {
                Say("  latents, texts, manifests: not planned yet (the final build writes the annotation file)");
                return !Log.HasLoggedErrors;
            }
        }

        var state = BuildState.Get(BuildEngine, settings, ProjectFile, refresh: true);
        var plan = state.Plan;
        foreach (var d in plan.Diagnostics) Log.Log(d);
        if (!plan.ModelsUsable) Say("  (the models are not usable here: every output counts as to do)");
        var staleLatents = plan.StaleLatents(state.OutputKeys);
        var staleTexts = plan.StaleTexts();
        Say($"  latents: {plan.Latents.Count - staleLatents.Count} of {plan.Latents.Count} current");
        Report("latent", staleLatents.Select(l => (l.RelativePath + " (" + l.Entry.Video + ")", l.Entry.Video)).ToList(), shards);
        Say($"  texts: {plan.Texts.Count - staleTexts.Count} of {plan.Texts.Count} present");
        Report("text", staleTexts.Select(t => (t.RelativePath, t.Key)).ToList(), shards);
        int currentManifests = plan.Manifests.Count(m => File.Exists(m.OutputPath) && File.ReadAllText(m.OutputPath) == m.Content);
        Say($"  manifests: {currentManifests} of {plan.Manifests.Count} current" + (currentManifests < plan.Manifests.Count ? " (the final build, without ShardIndex, writes them)" : ""));

        if (shards > 1)
        {
            var work = new int[shards];
            foreach (var l in staleLatents) work[Shard.Of(l.Entry.Video, shards)]++;
            foreach (var t in staleTexts) work[Shard.Of(t.Key, shards)]++;
            var busy = Enumerable.Range(0, shards).Where(k => work[k] > 0).ToList();
            Say("  per shard, outputs to do: " + string.Join(", ", Enumerable.Range(0, shards).Select(k => $"{k}: {work[k]}")));
            Say(busy.Count == 0 ? "  shards with work: none; the final build has only the manifests left"
                : $"  shards with work: {string.Join(",", busy)} (e.g. sbatch --array={string.Join(",", busy)} with VDS_SHARD_COUNT={shards})");
        }
        else if (staleLatents.Count + staleTexts.Count == 0)
            Say("  nothing to encode");
        return !Log.HasLoggedErrors;
    }

    /// <summary>Names the first missing outputs, counts the rest.</summary>
    void Report(string what, List<(string Name, string Identity)> missing, int shards)
    {
        foreach (var (name, identity) in missing.Take(ListMissing))
            Log.LogMessage(MessageImportance.High, $"    missing {what}: {name}" + (shards > 1 ? $" [shard {Shard.Of(identity, shards)}]" : ""));
        if (missing.Count > ListMissing)
            Log.LogMessage(MessageImportance.High, $"    ... and {missing.Count - ListMissing} more {what}s");
    }

    /// <summary>The shard count of the shard state folders in obj/, when they agree on one.</summary>
    static int ShardsSeen(DatasetSettings s)
    {
        if (!Directory.Exists(s.VideoDatasetIntermediateDir)) return 1;
        var counts = Directory.EnumerateDirectories(s.VideoDatasetIntermediateDir)
            .Select(d => ShardFolder().Match(Path.GetFileName(d))).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        return counts.Count == 1 ? counts[0] : 1;
    }
}
