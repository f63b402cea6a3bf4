using System.Diagnostics;
using System.Text.RegularExpressions;
using VideoDataset.Core.Dataset;
using VideoDataset.Tests.Reliability;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.EndToEnd;

/// <summary>
/// Shards of one dataset built by real `dotnet build`s on this machine (DESIGN §8): they run side by
/// side, each writes only its own items and its own state, the final step is refused while one runs
/// and then completes the dataset. (The same on a real Slurm cluster: ClusterTests.)
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public sealed partial class ShardBuildTests
{
    public TestContext TestContext { get; set; } = null!;

    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    [GeneratedRegex(@"  (?:latents|text|segments): wrote (\S+)")]
    internal static partial Regex Wrote();

    [GeneratedRegex(@"per shard, outputs to do: 0: (\d+), 1: (\d+)")]
    private static partial Regex PerShard();

    internal static List<string> Written(string log) => Wrote().Matches(log).Select(m => m.Groups[1].Value).ToList();

    static Dictionary<string, (long, DateTime)> Snapshot(params string[] dirs) =>
        dirs.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));

    [TestMethod]
    public void TwoShardBuildsStartedAtTheSameInstantBothSucceedWithDisjointWorkAndTheirOwnState()
    {
        using var p = new DatasetProject("shards-two").WithSample();
        AssertBuilt(p.Build("-t:PrepareShards"));
        using var a = new KillableBuild(p, "-restore:false", "-t:BuildDataset", "-p:ShardIndex=0", "-p:ShardCount=2");
        using var b = new KillableBuild(p, "-restore:false", "-t:BuildDataset", "-p:ShardIndex=1", "-p:ShardCount=2");
        int exitA = a.Wait(), exitB = b.Wait();
        Assert.AreEqual(0, exitA, a.Output);
        Assert.AreEqual(0, exitB, b.Output);
        StringAssert.Contains(a.Output, "shard 0 of 2: no manifest written");
        StringAssert.Contains(b.Output, "shard 1 of 2: no manifest written");
        var wroteA = Written(a.Output);
        var wroteB = Written(b.Output);
        Assert.IsEmpty(wroteA.Intersect(wroteB).ToList(), "no item encoded by both");
        Assert.HasCount(5 + 7, wroteA.Concat(wroteB).Distinct().ToList(), "5 latents and 7 texts, each once:\n" + a.Output + b.Output);
        Assert.IsFalse(Directory.EnumerateFiles(p.DatasetDir, "manifest-*").Any(), "a shard writes no manifest");

        // Each shard kept its state in its own folder; nothing of the whole build's was written.
        string state = Path.Combine(p.Dir, "obj", "VideoDataset");
        foreach (string shard in new[] { "shard-0-of-2", "shard-1-of-2" })
            Assert.IsTrue(File.Exists(Path.Combine(state, shard, "output-keys.tsv")), shard);
        Assert.IsFalse(File.Exists(Path.Combine(state, "content-hashes.tsv")), "no common cache file");

        // A shard with nothing to do writes nothing at all.
        var before = Snapshot(p.DatasetDir, Path.Combine(p.Dir, "obj"));
        Thread.Sleep(1100);
        var again = p.Build("-restore:false", "-t:BuildDataset", "-p:ShardIndex=1", "-p:ShardCount=2");
        AssertBuilt(again);
        var after = Snapshot(p.DatasetDir, Path.Combine(p.Dir, "obj"));
        CollectionAssert.AreEquivalent(before.Keys.ToArray(), after.Keys.ToArray());
        Assert.IsEmpty(before.Where(kv => after[kv.Key] != kv.Value).Select(kv => kv.Key).ToList(), "a no-op shard build changed files");

        // The final step encodes nothing (it borrows the shards' caches) and writes the manifests.
        var final = p.Build("-restore:false", "-t:BuildDataset");
        AssertBuilt(final);
        StringAssert.Contains(final.Output, "5 videos (0 to encode), 7 distinct texts (0 to encode), 2 manifests");
        Assert.IsTrue(File.Exists(Path.Combine(p.DatasetDir, "manifest-9s.jsonl")));
        AssertBuilt(p.Build("-restore:false", "-t:VerifyDataset"));
    }

    [TestMethod]
    public void AFinalStepStartedWhileAShardRunsFailsAtOnceNamingTheShard()
    {
        using var p = new DatasetProject("shards-final").WithSample();
        AssertBuilt(p.Build("-t:PrepareShards"));
        using var shard = StartFrozenShard0Of2(p);
        Repo.Result final;
        var clock = Stopwatch.StartNew();
        try { final = p.Build("-restore:false", "-t:BuildDataset"); }
        finally { shard.Signal(SigCont); }
        clock.Stop();
        Assert.AreEqual(0, shard.Wait(), shard.Output);

        Assert.AreNotEqual(0, final.ExitCode, final.Output);
        string lockFile = Path.Combine(p.DatasetDir, DatasetLock.FileName);
        StringAssert.Contains(final.Output, $"{lockFile} : error VDS5010: Another build is writing this DatasetDir (held by shard 0 of 2 on host {Environment.MachineName}, pid ");
        StringAssert.Contains(final.Output, ", since ");
        Assert.DoesNotContain("to encode", final.Output, "the final step stopped at the lock, before planning");
        TestContext.WriteLine($"FIGURE final step refused in {clock.Elapsed.TotalSeconds:F1} s (a whole dotnet build start to end) while shard 0 of 2 ran");

        // Afterwards it runs: the other shard's items are still stale, and it encodes them.
        var after = p.Build("-restore:false", "-t:BuildDataset");
        AssertBuilt(after);
        StringAssert.Contains(after.Output, "2 manifests");
        Assert.IsFalse(Directory.EnumerateFiles(Path.Combine(p.DatasetDir, DatasetLock.HoldersFolder)).Any(), "no holder record is left behind");
    }

    [TestMethod]
    public void ASecondCopyOfARunningShardFailsAtOnceNamingItWhileAnotherShardRunsBesideIt()
    {
        using var p = new DatasetProject("shards-twice").WithSample();
        AssertBuilt(p.Build("-t:PrepareShards"));
        using var first = StartFrozenShard0Of2(p);
        Repo.Result second, other;
        var clock = Stopwatch.StartNew();
        try
        {
            second = p.Build("-restore:false", "-t:BuildDataset", "-p:ShardIndex=0", "-p:ShardCount=2");
            clock.Stop();
            other = p.Build("-restore:false", "-t:BuildDataset", "-p:ShardIndex=1", "-p:ShardCount=2");
        }
        finally { first.Signal(SigCont); }
        Assert.AreEqual(0, first.Wait(), first.Output);

        Assert.AreNotEqual(0, second.ExitCode, second.Output);
        string shardLock = DatasetLock.ShardLockFile(p.DatasetDir, new Shard(0, 2));
        StringAssert.Contains(second.Output, $"{shardLock} : error VDS5010: Another build is writing this DatasetDir (held by shard 0 of 2 on host {Environment.MachineName}, pid ");
        StringAssert.Contains(second.Output, ", since ");
        StringAssert.Contains(second.Output, "shard 0 of 2 is already running there");
        Assert.DoesNotContain("to encode", second.Output, "the second copy stopped at the lock, before planning");
        Assert.IsEmpty(Written(second.Output));
        TestContext.WriteLine($"FIGURE second copy of shard 0 of 2 refused in {clock.Elapsed.TotalSeconds:F1} s (a whole dotnet build start to end)");

        // The other shard ran beside the frozen one, and between them every item was written once.
        AssertBuilt(other);
        var wrote = Written(first.Output).Concat(Written(other.Output)).ToList();
        Assert.HasCount(5 + 7, wrote, first.Output + other.Output);
        Assert.HasCount(5 + 7, wrote.Distinct().ToList());
        var final = p.Build("-restore:false", "-t:BuildDataset");
        AssertBuilt(final);
        StringAssert.Contains(final.Output, "5 videos (0 to encode), 7 distinct texts (0 to encode), 2 manifests");
    }

    const int SigStop = 19, SigCont = 18;

    /// <summary>
    /// Shard 0 of 2, frozen (SIGSTOP) once it says it encodes, i.e. once it holds its locks and has
    /// recorded itself as holder: it holds them for as long as the test needs. The caller sends SIGCONT.
    /// </summary>
    static KillableBuild StartFrozenShard0Of2(DatasetProject p)
    {
        var shard = new KillableBuild(p, "-restore:false", "-t:BuildDataset", "-p:ShardIndex=0", "-p:ShardCount=2");
        try
        {
            var wait = Stopwatch.StartNew();
            while (!shard.Output.Contains("VideoDataset: encoding", StringComparison.Ordinal) && !shard.HasExited && wait.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(10);
            Assert.IsFalse(shard.HasExited, "the shard ended before it could be frozen:\n" + shard.Output);
            shard.Signal(SigStop);
            return shard;
        }
        catch { shard.Dispose(); throw; }
    }

    [TestMethod]
    public void WithSceneFileShardsWriteTheirOwnSequencesAndLatentsAndOnlyTheFinalStepWritesTheAnnotationFile()
    {
        using var one = VideoDataset.Tests.Segments.PrepareSegmentsBuildTests.Project("shards-scenes-one");
        AssertBuilt(one.Build());
        using var p = VideoDataset.Tests.Segments.PrepareSegmentsBuildTests.Project("shards-scenes");
        // The same raw bytes (a Matroska file made again would get a new random segment id).
        foreach (string raw in Directory.EnumerateFiles(Path.Combine(one.Dir, "raw"), "*", SearchOption.AllDirectories))
            File.Copy(raw, Path.Combine(p.Dir, Path.GetRelativePath(one.Dir, raw)), overwrite: true);
        AssertBuilt(p.Build("-t:PrepareShards"));
        var wrote = new List<string>[2];
        for (int k = 0; k < 2; k++)
        {
            var r = p.Build("-restore:false", "-t:BuildDataset", $"-p:ShardIndex={k}", "-p:ShardCount=2");
            AssertBuilt(r);
            Assert.IsFalse(File.Exists(p.AnnotationFile), "a shard writes no annotation file");
            wrote[k] = Written(r.Output);
            foreach (string output in wrote[k])
            {
                string rel = output.StartsWith(p.EpisodeDir, StringComparison.Ordinal)
                    ? Path.GetRelativePath(p.EpisodeDir, output) // a sequence video: its own identity
                    : output.Contains("/latents/", StringComparison.Ordinal) ? Path.ChangeExtension(Path.GetRelativePath(Path.Combine(p.DatasetDir, "latents"), output), ".mp4") : "";
                if (rel != "") Assert.AreEqual(k, Shard.Of(rel.Replace('\\', '/'), 2), $"{output} belongs to shard {k}");
            }
        }
        var all = wrote[0].Concat(wrote[1]).ToList();
        Assert.HasCount(all.Distinct().Count(), all, "no output written twice");
        Assert.AreEqual(9, all.Count(o => o.StartsWith(p.EpisodeDir, StringComparison.Ordinal)), "every sequence video, once");
        Assert.AreEqual(9, all.Count(o => o.Contains("/latents/", StringComparison.Ordinal)), "every latent, once");

        var final = p.Build("-restore:false", "-t:BuildDataset");
        AssertBuilt(final);
        StringAssert.Contains(final.Output, "(9 captioned, 0 to write)");
        StringAssert.Contains(final.Output, "9 videos (0 to encode)");
        Assert.IsEmpty(Written(final.Output), final.Output);
        Assert.AreEqual(File.ReadAllText(one.AnnotationFile), File.ReadAllText(p.AnnotationFile), "the annotation file, written by the final step");
        foreach (string f in Directory.EnumerateFiles(one.DatasetDir, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(one.DatasetDir, f);
            if (rel == DatasetLock.FileName) continue;
            CollectionAssert.AreEqual(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(p.DatasetDir, rel)), rel);
        }
    }

    [TestMethod]
    public void DatasetStatusCountsWhatIsDoneAndNamesTheShardsWithWorkWithoutWritingAnything()
    {
        using var p = new DatasetProject("shards-status").WithSample();
        AssertBuilt(p.Build("-t:PrepareShards"));
        Repo.Result Status() => p.Build("-restore:false", "-t:DatasetStatus", "-p:ShardCount=2");

        var before = Snapshot(p.DatasetDir, Path.Combine(p.Dir, "obj"));
        var first = Status();
        AssertBuilt(first);
        StringAssert.Contains(first.Output, "(2 shards):");
        StringAssert.Contains(first.Output, "latents: 0 of 5 current");
        StringAssert.Contains(first.Output, "texts: 0 of 7 present");
        StringAssert.Contains(first.Output, "missing latent: latents/ep01/seq_0000.pt (ep01/seq_0000.mp4) [shard ");
        StringAssert.Contains(first.Output, "shards with work: 0,1");
        var after = Snapshot(p.DatasetDir, Path.Combine(p.Dir, "obj"));
        CollectionAssert.AreEquivalent(before.Keys.ToArray(), after.Keys.ToArray(), "status wrote nothing");

        var shard0 = p.Build("-restore:false", "-t:BuildDataset", "-p:ShardIndex=0", "-p:ShardCount=2");
        AssertBuilt(shard0);
        int done = Written(shard0.Output).Count;
        before = Snapshot(p.DatasetDir, Path.Combine(p.Dir, "obj"));
        var second = Status();
        AssertBuilt(second);
        StringAssert.Contains(second.Output, "per shard, outputs to do: 0: 0, 1: " + (12 - done));
        StringAssert.Contains(second.Output, "shards with work: 1 (e.g. sbatch --array=1 with VDS_SHARD_COUNT=2)");
        StringAssert.Contains(second.Output, "manifests: 0 of 2 current");
        after = Snapshot(p.DatasetDir, Path.Combine(p.Dir, "obj"));
        CollectionAssert.AreEquivalent(before.Keys.ToArray(), after.Keys.ToArray());
        Assert.IsEmpty(before.Where(kv => after[kv.Key] != kv.Value).Select(kv => kv.Key).ToList(), "status changed no file");
    }

    [TestMethod]
    public void DatasetStatusRightAfterCleanWithTinyModelsReportsEverythingToDo()
    {
        using var p = new DatasetProject("shards-status-clean").WithSample();
        AssertBuilt(p.Build("-t:PrepareShards"));
        AssertBuilt(p.Build("-restore:false", "-t:Clean"));
        var status = p.Build("-restore:false", "-t:DatasetStatus", "-p:ShardCount=2");
        AssertBuilt(status);
        StringAssert.Contains(status.Output, "latents: 0 of 5 current");
        StringAssert.Contains(status.Output, "texts: 0 of 7 present");
        StringAssert.Contains(status.Output, "shards with work: 0,1");
        Assert.IsFalse(Directory.Exists(p.DatasetDir) && Directory.EnumerateFiles(p.DatasetDir, "*.pt", SearchOption.AllDirectories).Any(),
            "status encoded nothing");
    }

    [TestMethod]
    public void WithSceneFileDatasetStatusPlansEveryStageFromTheScenesBeforeTheAnnotationFileIsWritten()
    {
        using var p = VideoDataset.Tests.Segments.PrepareSegmentsBuildTests.Project("shards-status-scenes");
        AssertBuilt(p.Build("-t:PrepareShards"));
        string[] watched = [p.DatasetDir, p.EpisodeDir, Path.Combine(p.Dir, "obj")];
        Repo.Result Status(bool final = false)
        {
            var before = Snapshot(watched);
            var r = p.Build("-restore:false", "-t:DatasetStatus", "-p:ShardCount=2");
            AssertBuilt(r);
            var after = Snapshot(watched);
            CollectionAssert.AreEquivalent(before.Keys.ToArray(), after.Keys.ToArray(), "status made or removed no file");
            Assert.IsEmpty(before.Where(kv => after[kv.Key] != kv.Value).Select(kv => kv.Key).ToList(), "status changed no file");
            Assert.AreEqual(final, File.Exists(p.AnnotationFile), "status writes no annotation file; the final build does");
            return r;
        }
        (int, int) Work(Repo.Result r)
        {
            var m = PerShard().Match(r.Output);
            Assert.IsTrue(m.Success, r.Output);
            return (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        }

        // Nothing built: every stage planned from the scene and caption files, 9 sequences, 9 latents, 6 texts (one per caption).
        var first = Status();
        StringAssert.Contains(first.Output, "(2 shards):");
        StringAssert.Contains(first.Output, "sequences: 0 of 9 current");
        StringAssert.Contains(first.Output, "annotation file: not current (the final build, without ShardIndex, writes it)");
        StringAssert.Contains(first.Output, "latents: 0 of 9 current");
        StringAssert.Contains(first.Output, "missing latent: latents/ep01/3s_0000.pt (ep01/3s_0000.mp4) [shard ");
        StringAssert.Contains(first.Output, "manifests: 2 to write");
        StringAssert.Contains(first.Output, "shards with work: 0,1");
        var texts = Regex.Match(first.Output, @"texts: 0 of (\d+) present");
        Assert.IsTrue(texts.Success, first.Output);
        int total = 9 + 9 + int.Parse(texts.Groups[1].Value);
        var (zero, one) = Work(first);
        Assert.AreEqual(total, zero + one);

        // After shard 0: its work is done, and what status says shard 1 has left is what shard 1 then writes.
        var shard0 = p.Build("-restore:false", "-t:BuildDataset", "-p:ShardIndex=0", "-p:ShardCount=2");
        AssertBuilt(shard0);
        Assert.HasCount(zero, Written(shard0.Output), "status counted shard 0's work:\n" + shard0.Output);
        var second = Status();
        StringAssert.Contains(second.Output, $"per shard, outputs to do: 0: 0, 1: {one}");
        StringAssert.Contains(second.Output, "shards with work: 1 (e.g. sbatch --array=1 with VDS_SHARD_COUNT=2)");
        var shard1 = p.Build("-restore:false", "-t:BuildDataset", "-p:ShardIndex=1", "-p:ShardCount=2");
        AssertBuilt(shard1);
        Assert.HasCount(one, Written(shard1.Output), shard1.Output);

        var third = Status();
        StringAssert.Contains(third.Output, "sequences: 9 of 9 current");
        StringAssert.Contains(third.Output, "latents: 9 of 9 current");
        StringAssert.Contains(third.Output, $"texts: {texts.Groups[1].Value} of {texts.Groups[1].Value} present");
        StringAssert.Contains(third.Output, "shards with work: none");
        AssertBuilt(p.Build("-restore:false", "-t:BuildDataset"));
        StringAssert.Contains(Status(final: true).Output, "annotation file: current");
    }

    [TestMethod]
    public void ShardSettingsComeFromSlurmOrKubernetesAndBadOnesAreCanonicalErrors()
    {
        using var p = new DatasetProject("shards-env").WithSample();
        AssertBuilt(p.Build("-t:PrepareShards"));
        Repo.Result Build(Dictionary<string, string?> env, params string[] extra) =>
            Repo.Run("dotnet", new[] { "build", p.ProjectFile, "-nologo", "-v:n", "-nodeReuse:false", "-restore:false", "-t:BuildDataset" }.Concat(extra), p.Dir, env);

        // An array --array=2-5: task 5 is shard 3 of 4.
        var slurm = Build(new() { ["SLURM_ARRAY_TASK_ID"] = "5", ["SLURM_ARRAY_TASK_COUNT"] = "4", ["SLURM_ARRAY_TASK_MIN"] = "2" });
        AssertBuilt(slurm);
        StringAssert.Contains(slurm.Output, "shard 3 of 4: no manifest written");
        // A Kubernetes Indexed Job: its index, ShardCount set in the job's environment.
        var k8s = Build(new() { ["JOB_COMPLETION_INDEX"] = "1", ["ShardCount"] = "3" });
        AssertBuilt(k8s);
        StringAssert.Contains(k8s.Output, "shard 1 of 3: no manifest written");

        var outOfRange = Build(new(), "-p:ShardIndex=4", "-p:ShardCount=4");
        Assert.AreNotEqual(0, outOfRange.ExitCode);
        StringAssert.Contains(outOfRange.Output, $"{p.ProjectFile} : error VDS5060: ShardIndex is '4': expected a whole number from 0 to 3 (ShardCount is 4).");
        var alone = Build(new(), "-p:ShardIndex=1");
        StringAssert.Contains(alone.Output, "error VDS5060: ShardIndex is '1' but ShardCount is not set");
        var zero = Build(new(), "-p:ShardIndex=0", "-p:ShardCount=0");
        StringAssert.Contains(zero.Output, "error VDS5060: ShardCount is '0': expected a whole number of at least 1.");
        foreach (var refused in new[] { outOfRange, alone, zero })
        {
            Assert.AreNotEqual(0, refused.ExitCode);
            Assert.DoesNotContain("to encode", refused.Output, "a refused build plans nothing");
        }
    }
}
