using System.Text.RegularExpressions;
using VideoDataset.Core.Dataset;
using VideoDataset.Tests.EndToEnd;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Cluster;

/// <summary>
/// The sharded build on a real Slurm cluster started by the tests (DESIGN §8), with the job files a
/// user submits (eng/cluster/slurm/): a job array of shards, then the dependent final job.
/// Inconclusive where Slurm cannot run (not root, not installed).
/// </summary>
[TestClass]
[TestCategory("Cluster")]
public sealed partial class ClusterTests
{
    static SlurmCluster? _cluster;
    static string _why = "";

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void StartCluster(TestContext _) => _cluster = SlurmCluster.TryStart(out _why);

    [ClassCleanup]
    public static void StopCluster()
    {
        _cluster?.Dispose();
        if (_oneMachine.IsValueCreated) _oneMachine.Value.Dispose();
        if (_oneMachineScenes.IsValueCreated) _oneMachineScenes.Value.Dispose();
    }

    // The one-machine build from raw episodes (SceneFile set), for the sharded one to be compared with.
    static readonly Lazy<DatasetProject> _oneMachineScenes = new(() =>
    {
        var one = VideoDataset.Tests.Segments.PrepareSegmentsBuildTests.Project("cluster-scenes-one");
        Assert.AreEqual(0, one.Build().ExitCode);
        return one;
    });

    // The one-machine build of the sample that every sharded result is compared with, made once.
    static readonly Lazy<DatasetProject> _oneMachine = new(() =>
    {
        var one = new DatasetProject("cluster-one").WithSample();
        Assert.AreEqual(0, one.Build().ExitCode);
        return one;
    });

    static SlurmCluster Cluster()
    {
        if (_cluster is null) Assert.Inconclusive(_why);
        return _cluster;
    }

    static string Submit => Path.Combine(Repo.Root, "eng/cluster/slurm/submit.sh");

    [GeneratedRegex(@"prepare=(\d+) shards=(\d+) final=(\d+)")]
    private static partial Regex Submitted();

    (string Prepare, string Shards, string Final) SubmitAll(SlurmCluster cluster, DatasetProject p, int count)
    {
        var r = cluster.Client(Submit, [p.ProjectFile, count.ToString(), "-c", "1"], new Dictionary<string, string?>
        {
            ["VDS_BUILD_ARGS"] = "-v:n -clp:ForceNoAlign", ["VDS_LOG_DIR"] = Path.Combine(p.Dir, "logs"),
        }, p.Dir);
        Assert.AreEqual(0, r.ExitCode, r.Output);
        var m = Submitted().Match(r.Output);
        Assert.IsTrue(m.Success, r.Output);
        return (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
    }

    static string Log(DatasetProject p, string name) => File.ReadAllText(Path.Combine(p.Dir, "logs", name));

    /// <summary>Every file under DatasetDir but the lock and its holders' folder, relative path to bytes.</summary>
    static SortedDictionary<string, byte[]> Files(string datasetDir) => new(
        Directory.EnumerateFiles(datasetDir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(datasetDir, f))
            .Where(r => r != DatasetLock.FileName && !r.StartsWith(DatasetLock.HoldersFolder, StringComparison.Ordinal) && !r.StartsWith(DatasetLock.ShardLocksFolder, StringComparison.Ordinal))
            .ToDictionary(r => r, r => File.ReadAllBytes(Path.Combine(datasetDir, r))), StringComparer.Ordinal);

    static void AssertSameBytes(string expectedDir, string actualDir)
    {
        var expected = Files(expectedDir);
        var actual = Files(actualDir);
        CollectionAssert.AreEqual(expected.Keys.ToList(), actual.Keys.ToList(), "the same files");
        foreach (var (rel, bytes) in expected)
            Assert.IsTrue(bytes.AsSpan().SequenceEqual(actual[rel]), $"{rel} differs from the one-machine build");
    }

    /// <summary>The shard an output belongs to: a latent by its video's path, a text by its key.</summary>
    static int OwnerOf(string output, string datasetDir, int count)
    {
        string rel = Path.GetRelativePath(datasetDir, output).Replace('\\', '/');
        if (rel.StartsWith("latents/", StringComparison.Ordinal)) return Shard.Of(rel["latents/".Length..^".pt".Length] + ".mp4", count);
        return Shard.Of(Path.GetFileNameWithoutExtension(rel), count);
    }

    [TestMethod]
    public void AFourTaskArrayAndItsFinalJobBuildTheSampleByteForByteAsOneMachineWithNoItemEncodedTwice()
    {
        var cluster = Cluster();
        var one = _oneMachine.Value;
        using var p = new DatasetProject("cluster-array").WithSample();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (prepare, shards, final) = SubmitAll(cluster, p, 4);
        var finalStates = cluster.WaitEnded(final, TimeSpan.FromMinutes(8));
        clock.Stop();
        CollectionAssert.AreEqual(new[] { "COMPLETED" }, cluster.WaitEnded(prepare, TimeSpan.FromSeconds(5)));
        CollectionAssert.AreEqual(Enumerable.Repeat("COMPLETED", 4).ToList(), cluster.WaitEnded(shards, TimeSpan.FromSeconds(5)));
        CollectionAssert.AreEqual(new[] { "COMPLETED" }, finalStates, Log(p, $"final-{final}.log"));

        AssertSameBytes(one.DatasetDir, p.DatasetDir);

        // Each item was encoded once, by the shard it belongs to; the final step encoded nothing.
        var all = new List<string>();
        for (int k = 0; k < 4; k++)
        {
            string log = Log(p, $"shard-{shards}_{k}.log");
            StringAssert.Contains(log, $"shard {k} of 4: no manifest written");
            var wrote = ShardBuildTests.Written(log);
            Assert.IsTrue(wrote.All(o => OwnerOf(o, p.DatasetDir, 4) == k), $"shard {k} wrote only its own items:\n{log}");
            all.AddRange(wrote);
        }
        string finalLog = Log(p, $"final-{final}.log");
        Assert.IsEmpty(ShardBuildTests.Written(finalLog), finalLog);
        StringAssert.Contains(finalLog, "5 videos (0 to encode), 7 distinct texts (0 to encode), 2 manifests");
        Assert.HasCount(12, all, "5 latents and 7 texts, each written once:\n" + string.Join("\n", all));
        Assert.HasCount(12, all.Distinct().ToList());
        TestContext.WriteLine($"FIGURE Slurm: prepare + 4-task array + final job of the sample in {clock.Elapsed.TotalSeconds:F0} s on 2 CPUs; 12 outputs, each written once");
    }

    [TestMethod]
    public void AFailingShardKeepsTheFinalJobPendingAndItsResubmissionCompletesTheDataset()
    {
        var cluster = Cluster();
        using var p = new DatasetProject("cluster-fail").WithSample();
        // A bad video in one shard's slice (ep01/seq_0001.mp4's owner): garbage where the clip was.
        const string bad = "ep01/seq_0001.mp4";
        int owner = Shard.Of(bad, 4);
        string video = Path.Combine(p.EpisodeDir, bad);
        byte[] good = File.ReadAllBytes(video);
        File.WriteAllBytes(video, new byte[good.Length]);

        var (_, shards, final) = SubmitAll(cluster, p, 4);
        cluster.WaitFor(shards, s => s.Count == 4 && s.All(t => t.State is "COMPLETED" or "FAILED"), TimeSpan.FromMinutes(8));
        var states = cluster.States(shards).Select(s => s.State).ToList();
        Assert.AreEqual(1, states.Count(s => s == "FAILED"), string.Join(",", states));
        var pending = cluster.WaitFor(final, s => s.Count == 1 && s[0].Reason == "DependencyNeverSatisfied", TimeSpan.FromSeconds(30));
        Assert.AreEqual("PENDING", pending[0].State, "the final job waits; it does not run on a partial dataset");
        Assert.IsFalse(File.Exists(Path.Combine(p.DatasetDir, "manifest-3s.jsonl")), "no manifest yet");
        StringAssert.Contains(Log(p, $"shard-{shards}_{owner}.log"), bad);
        // The other shards' outputs are kept.
        int kept = Directory.EnumerateFiles(p.DatasetDir, "*.pt", SearchOption.AllDirectories).Count();
        Assert.IsGreaterThan(0, kept);

        // The user fixes the video and resubmits that one index; the final job is pointed at it.
        File.WriteAllBytes(video, good);
        var again = cluster.Client("sbatch", ["--parsable", "--export=ALL", $"--array={owner}", "-c", "1",
            "-o", Path.Combine(p.Dir, "logs", "shard-%A_%a.log"), Path.Combine(Repo.Root, "eng/cluster/slurm/shard.sbatch")],
            new Dictionary<string, string?> { ["VDS_PROJECT"] = p.ProjectFile, ["VDS_SHARD_COUNT"] = "4", ["VDS_BUILD_ARGS"] = "-v:n -clp:ForceNoAlign" }, p.Dir);
        Assert.AreEqual(0, again.ExitCode, again.Output);
        string resubmitted = again.Output.Trim();
        var update = cluster.Client("scontrol", ["update", $"JobId={final}", $"Dependency=afterok:{resubmitted}"]);
        Assert.AreEqual(0, update.ExitCode, update.Output);
        CollectionAssert.AreEqual(new[] { "COMPLETED" }, cluster.WaitEnded(final, TimeSpan.FromMinutes(6)), Log(p, $"final-{final}.log"));

        string redo = Log(p, $"shard-{resubmitted}_{owner}.log");
        var redone = ShardBuildTests.Written(redo);
        Assert.IsTrue(redone.All(o => OwnerOf(o, p.DatasetDir, 4) == owner), redo);
        Assert.Contains(Path.Combine(p.DatasetDir, "latents/ep01/seq_0001.pt"), redone, "the fixed video's latent was encoded by its shard");
        StringAssert.Contains(Log(p, $"final-{final}.log"), "5 videos (0 to encode), 7 distinct texts (0 to encode), 2 manifests");
        AssertSameBytes(_oneMachine.Value.DatasetDir, p.DatasetDir);
    }

    /// <summary>Modification time of each file, to prove a later build left it alone (a rewrite is a new file renamed over it).</summary>
    static Dictionary<string, DateTime> Stamps(IEnumerable<string> files) => files.ToDictionary(f => f, File.GetLastWriteTimeUtc);

    [TestMethod]
    public void AShardCancelledMidEncodeAndSubmittedAgainRedoesNothingAndTheFinalJobWritesTheAnnotationFileOnce()
    {
        var cluster = Cluster();
        var one = _oneMachineScenes.Value;
        // Raw episodes -> sequence videos -> latents and texts, as 2 shards; the same raw bytes as the
        // one-machine build (a Matroska file made again would get a new random segment id).
        using var p = VideoDataset.Tests.Segments.PrepareSegmentsBuildTests.Project("cluster-cancel");
        foreach (string raw in Directory.EnumerateFiles(Path.Combine(one.Dir, "raw"), "*", SearchOption.AllDirectories))
            File.Copy(raw, Path.Combine(p.Dir, Path.GetRelativePath(one.Dir, raw)), overwrite: true);
        const int count = 2;
        string SequenceOf(string output) => Path.GetRelativePath(p.EpisodeDir, output).Replace('\\', '/');
        int Owner(string output) => output.StartsWith(p.EpisodeDir, StringComparison.Ordinal) ? Shard.Of(SequenceOf(output), count) : OwnerOf(output, p.DatasetDir, count);
        // The shard to cancel: the one with more sequences (so more latents to encode after the first).
        var sequences = File.ReadAllLines(one.AnnotationFile).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("video").GetString()!).ToList();
        int target = sequences.Count(v => Shard.Of(v, count) == 0) >= sequences.Count(v => Shard.Of(v, count) == 1) ? 0 : 1;
        int targetOutputs = sequences.Count(v => Shard.Of(v, count) == target) * 2
            + Directory.EnumerateFiles(Path.Combine(one.DatasetDir, "text"), "*.pt", SearchOption.AllDirectories).Count(f => Shard.Of(Path.GetFileNameWithoutExtension(f), count) == target);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (_, shards, final) = SubmitAll(cluster, p, count);
        string firstLog = Path.Combine(p.Dir, "logs", $"shard-{shards}_{target}.log");
        string Read(string f) => File.Exists(f) ? File.ReadAllText(f) : "";

        // Cancel the target task once its worker has written a latent: it is encoding, with more of its slice to go.
        var wait = System.Diagnostics.Stopwatch.StartNew();
        while (!Read(firstLog).Contains("  latents: wrote ", StringComparison.Ordinal))
        {
            Assert.IsFalse(cluster.States($"{shards}_{target}").Any(s => s.State is "COMPLETED" or "FAILED"), "the task ended before it was cancelled:\n" + Read(firstLog));
            Assert.IsLessThan(TimeSpan.FromMinutes(6), wait.Elapsed, "no latent written:\n" + Read(firstLog));
            Thread.Sleep(50);
        }
        var cancel = cluster.Client("scancel", [$"{shards}_{target}"]);
        Assert.AreEqual(0, cancel.ExitCode, cancel.Output);
        CollectionAssert.AreEqual(new[] { "CANCELLED" }, cluster.WaitEnded($"{shards}_{target}", TimeSpan.FromMinutes(2)));
        // Its processes are gone once its shard's lock is free (a copy still running would refuse the resubmission, VDS5010).
        wait.Restart();
        DatasetLock? free;
        while ((free = DatasetLock.TryAcquireShard(p.DatasetDir, new Shard(target, count), out _, out _)) is null)
        {
            Assert.IsLessThan(TimeSpan.FromMinutes(2), wait.Elapsed, "the cancelled task still holds its shard");
            Thread.Sleep(200);
        }
        free.Dispose();
        var finishedBeforeCancel = ShardBuildTests.Written(Read(firstLog));
        Assert.IsNotEmpty(finishedBeforeCancel);
        Assert.IsLessThan(targetOutputs, finishedBeforeCancel.Count, $"cancelled mid-build: of its {targetOutputs} outputs it wrote only these:\n" + string.Join("\n", finishedBeforeCancel));
        var stamps = Stamps(finishedBeforeCancel);

        // The other task completes; the final job waits on the cancelled one. No annotation file yet.
        cluster.WaitFor(shards, s => s.Count == count && s.All(t => t.State is "COMPLETED" or "CANCELLED"), TimeSpan.FromMinutes(6));
        var pending = cluster.WaitFor(final, s => s.Count == 1 && s[0].Reason == "DependencyNeverSatisfied", TimeSpan.FromSeconds(30));
        Assert.AreEqual("PENDING", pending[0].State);
        Assert.IsFalse(File.Exists(p.AnnotationFile), "no shard writes the annotation file");

        // Submitted again, the same index; the final job is pointed at it (README, Many machines).
        var again = cluster.Client("sbatch", ["--parsable", "--export=ALL", $"--array={target}", "-c", "1",
            "-o", Path.Combine(p.Dir, "logs", "shard-%A_%a.log"), Path.Combine(Repo.Root, "eng/cluster/slurm/shard.sbatch")],
            new Dictionary<string, string?> { ["VDS_PROJECT"] = p.ProjectFile, ["VDS_SHARD_COUNT"] = count.ToString(), ["VDS_BUILD_ARGS"] = "-v:n -clp:ForceNoAlign" }, p.Dir);
        Assert.AreEqual(0, again.ExitCode, again.Output);
        string resubmitted = again.Output.Trim();
        var update = cluster.Client("scontrol", ["update", $"JobId={final}", $"Dependency=afterok:{resubmitted}"]);
        Assert.AreEqual(0, update.ExitCode, update.Output);
        CollectionAssert.AreEqual(new[] { "COMPLETED" }, cluster.WaitEnded(final, TimeSpan.FromMinutes(6)), Log(p, $"final-{final}.log"));
        clock.Stop();

        // The second attempt redid none of the first's finished outputs (not written again, files untouched).
        string secondLog = Log(p, $"shard-{resubmitted}_{target}.log");
        var redone = ShardBuildTests.Written(secondLog);
        Assert.IsNotEmpty(redone, secondLog);
        Assert.IsEmpty(redone.Intersect(finishedBeforeCancel).ToList(), "outputs finished before the cancel were written again:\n" + secondLog);
        Assert.IsEmpty(stamps.Where(kv => File.GetLastWriteTimeUtc(kv.Key) != kv.Value).Select(kv => kv.Key).ToList(), "finished outputs rewritten");
        // Across both attempts, the other shard and the final job: each output written once, by its own shard.
        string otherLog = Log(p, $"shard-{shards}_{1 - target}.log");
        var all = finishedBeforeCancel.Concat(redone).Concat(ShardBuildTests.Written(otherLog)).ToList();
        Assert.HasCount(all.Distinct().Count(), all, "an output written twice:\n" + string.Join("\n", all.Order()));
        Assert.IsTrue(finishedBeforeCancel.Concat(redone).All(o => Owner(o) == target), "the target shard wrote only its own items");
        Assert.IsTrue(ShardBuildTests.Written(otherLog).All(o => Owner(o) == 1 - target), otherLog);

        // The annotation file: written once, by the final job, which encoded nothing.
        string finalLog = Log(p, $"final-{final}.log");
        Assert.IsEmpty(ShardBuildTests.Written(finalLog), finalLog);
        StringAssert.Contains(finalLog, $"VideoDataset: wrote {Path.GetFileName(p.AnnotationFile)} (9 sequences).");
        foreach (string log in new[] { Read(firstLog), secondLog, otherLog })
            Assert.DoesNotContain($"wrote {Path.GetFileName(p.AnnotationFile)}", log);
        StringAssert.Contains(finalLog, "9 videos (0 to encode)");

        // Byte for byte the one-machine build: the dataset, the annotation file and the sequence videos.
        AssertSameBytes(one.DatasetDir, p.DatasetDir);
        Assert.AreEqual(File.ReadAllText(one.AnnotationFile), File.ReadAllText(p.AnnotationFile));
        foreach (string v in sequences)
            Assert.IsTrue(File.ReadAllBytes(Path.Combine(one.EpisodeDir, v)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(p.EpisodeDir, v))), v);
        TestContext.WriteLine($"FIGURE Slurm, SceneFile: prepare + 2-task array, one task cancelled after {finishedBeforeCancel.Count} of its {targetOutputs} outputs and resubmitted ({redone.Count} more), final job: {clock.Elapsed.TotalSeconds:F0} s on 2 CPUs");
    }
}
