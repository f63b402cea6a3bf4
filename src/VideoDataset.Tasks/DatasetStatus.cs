using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.IO;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Worker;

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
        var work = new int[shards];
        Say($"VideoDataset status of '{settings.DatasetDir}'" + (shards > 1 ? $" ({shards} shards)" : "") + ":");

        if (settings.HasSegmentStage)
        {
            var segments = SegmentState.Create(settings, ProjectFile, Log);
            if (segments is null) return false;
            var current = segments.Wanted.Where(q => segments.Recorded(q.OutputPath) == q.Key).Select(q => q.Video).ToHashSet(StringComparer.Ordinal);
            var missing = segments.Wanted.Where(q => !current.Contains(q.Video)).ToList();
            Say($"  sequences: {current.Count} of {segments.Wanted.Count} current");
            Report("sequence", missing.Select(q => (q.Video, q.Video)).ToList(), shards, work);

            // The annotation file is the final build's to write; until it is current, plan from the
            // scene and caption files in memory, as the shards do, and write nothing.
            byte[] content = Encoding.UTF8.GetBytes(segments.Plan.AnnotationContent(_ => true));
            if (AtomicFile.Holds(settings.AnnotationFile, content))
                Say("  annotation file: current");
            else
            {
                Say("  annotation file: not current (the final build, without ShardIndex, writes it); planned from the scene and caption files:");
                var all = AnnotationReader.Read(settings.AnnotationFile, settings.EpisodeDir, checkExists: _ => false, content: content);
                // Latents of sequences made now are planned from their videos; the others' videos are still to be made, and so are their latents.
                var made = all.Entries.Where(e => current.Contains(e.Video)).ToList();
                var plan = DatasetPlan.Create(settings, BuildState.LoadCache(settings, "content-hashes.tsv"), ProjectFile, ComputeDevice.VisibleGpus(), annotations: new AnnotationSet(made, all.Diagnostics));
                var staleLatents = plan.StaleLatents(BuildState.LoadCache(settings, "output-keys.tsv")).Select(LatentName)
                    .Concat(all.Entries.Where(e => !current.Contains(e.Video)).Select(e => (e.LatentRelativePath + " (" + e.Video + ")", e.Video))).ToList();
                // Texts need no video: every one is planned, keyed as DatasetPlan keys them.
                var keys = all.Entries.SelectMany(e => e.EncodedTexts()).Distinct(StringComparer.Ordinal).Select(t => Recipes.Key(plan.TextRecipe, t)).ToList();
                var staleTexts = keys.Select(k => (DatasetPlan.TextRelativePath(k), k)).Where(t => !File.Exists(Path.Combine(settings.DatasetDir, t.Item1))).ToList();
                string manifests = $"  manifests: {all.Entries.Select(e => e.Segments).Distinct().Count()} to write (the final build writes them after the annotation file)";
                return Summarize(plan, all.Entries.Count, staleLatents, keys.Count, staleTexts, manifests, shards, work);
            }
        }

        var state = BuildState.Get(BuildEngine, settings, ProjectFile, refresh: true);
        var whole = state.Plan;
        var stale = whole.StaleLatents(state.OutputKeys).Select(LatentName).ToList();
        var missingTexts = whole.StaleTexts().Select(t => (t.RelativePath, t.Key)).ToList();
        int currentManifests = whole.Manifests.Count(m => AtomicFile.Holds(m.OutputPath, Encoding.UTF8.GetBytes(m.Content)));
        string manifestsLine = $"  manifests: {currentManifests} of {whole.Manifests.Count} current" + (currentManifests < whole.Manifests.Count ? " (the final build, without ShardIndex, writes them)" : "");
        return Summarize(whole, whole.Latents.Count, stale, whole.Texts.Count, missingTexts, manifestsLine, shards, work);
    }

    static (string, string) LatentName(PlannedLatent l) => (l.RelativePath + " (" + l.Entry.Video + ")", l.Entry.Video);

    void Say(string line) => Log.LogMessage(MessageImportance.High, line);

    /// <summary>Per stage done of total, what is missing, and with shards the work left per shard (<paramref name="work"/> already holds the sequences').</summary>
    bool Summarize(DatasetPlan plan, int latents, List<(string Name, string Identity)> staleLatents, int texts, List<(string Name, string Identity)> staleTexts,
        string manifestsLine, int shards, int[] work)
    {
        foreach (var d in plan.Diagnostics) Log.Log(d);
        if (!plan.ModelsUsable) Say("  (the models are not usable here: every output counts as to do)");
        Say($"  latents: {latents - staleLatents.Count} of {latents} current");
        Report("latent", staleLatents, shards, work);
        Say($"  texts: {texts - staleTexts.Count} of {texts} present");
        Report("text", staleTexts, shards, work);
        Say(manifestsLine);

        if (shards > 1)
        {
            var busy = Enumerable.Range(0, shards).Where(k => work[k] > 0).ToList();
            Say("  per shard, outputs to do: " + string.Join(", ", Enumerable.Range(0, shards).Select(k => $"{k}: {work[k]}")));
            Say(busy.Count == 0 ? "  shards with work: none; the final build has only the manifests left"
                : $"  shards with work: {string.Join(",", busy)} (e.g. sbatch --array={string.Join(",", busy)} with VDS_SHARD_COUNT={shards})");
        }
        else if (work.Sum() == 0)
            Say("  nothing to encode");
        return !Log.HasLoggedErrors;
    }

    /// <summary>Names the first missing outputs, counts the rest.</summary>
    void Report(string what, List<(string Name, string Identity)> missing, int shards, int[] work)
    {
        foreach (var (_, identity) in missing) work[shards > 1 ? Shard.Of(identity, shards) : 0]++;
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
