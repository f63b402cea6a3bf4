using VideoDataset.Core.Dataset;
using VideoDataset.Tests.Segments;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.EndToEnd;

/// <summary>
/// Real builds for the settings model: a no-op build writes nothing anywhere, keys record the
/// numerics the worker computed with, and relative segment paths mean the same in every target.
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public sealed class SettingsBuildTests
{
    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    /// <summary>Every file under the folders with its size and last write time.</summary>
    static Dictionary<string, (long, DateTime)> Snapshot(params string[] dirs) =>
        dirs.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));

    [TestMethod]
    public void ANoOpBuildChangesNoFileUnderDatasetDirOrObj()
    {
        using var p = Clips.SmallDataset("noop");
        AssertBuilt(p.Build());
        string obj = Path.Combine(p.Dir, "obj");
        var before = Snapshot(p.DatasetDir, obj);
        Assert.IsTrue(before.ContainsKey(Path.Combine(p.DatasetDir, DatasetLock.FileName)), "the lock file is part of the snapshot");
        Assert.IsTrue(before.Keys.Any(k => k.EndsWith("output-keys.tsv", StringComparison.Ordinal)), "the caches in obj/ are part of the snapshot");
        Thread.Sleep(1100); // a rewrite within the same second must still show in the times

        var again = p.Build();
        AssertBuilt(again);
        StringAssert.Contains(again.Output, "3 videos (0 to encode), 4 distinct texts (0 to encode)");
        var after = Snapshot(p.DatasetDir, obj);
        CollectionAssert.AreEquivalent(before.Keys.ToArray(), after.Keys.ToArray());
        var changed = before.Where(kv => after[kv.Key] != kv.Value).Select(kv => kv.Key).ToArray();
        Assert.IsEmpty(changed, "changed by a no-op build: " + string.Join(", ", changed));
    }

    [TestMethod]
    public void ACudaWorkerOnAMachineWithoutAGpuRecordsAndComputesCpuFloat32()
    {
        Assert.AreEqual(0, Core.Worker.ComputeDevice.VisibleGpus(), "this test needs a machine without a visible GPU");
        using var p = Clips.SmallDataset("cuda-no-gpu");
        var cudaBuild = p.Build("-p:VideoDatasetCuda=true");
        AssertBuilt(cudaBuild);

        // The keys say cpu-fp32, as a CPU worker's do: its outputs are current for it.
        var cpuBuild = p.Build();
        AssertBuilt(cpuBuild);
        StringAssert.Contains(cpuBuild.Output, "3 videos (0 to encode), 4 distinct texts (0 to encode)");
        // And the worker said it computed in float32 on the CPU.
        StringAssert.Contains(cudaBuild.Output, "computing on cpu in float32");
        Assert.DoesNotContain("bfloat16", cudaBuild.Output);
    }

    [TestMethod]
    public void CudaAskedOfACpuWorkerIsACanonicalErrorAndNothingIsEncoded()
    {
        using var p = Clips.SmallDataset("cuda-cpu-worker");
        var r = p.Build("-p:TorchDevice=cuda");
        Assert.AreNotEqual(0, r.ExitCode, r.ToString());
        StringAssert.Contains(r.Output, $"{p.ProjectFile} : error VDS5003: TorchDevice is 'cuda', but the worker is a CPU build");
        Assert.DoesNotContain("MSB4181", r.Output, "the stage tasks add no error of their own");
        Assert.IsFalse(Directory.Exists(Path.Combine(p.DatasetDir, "latents")), "no latent under a key it was not computed with");
        Assert.IsFalse(Directory.Exists(Path.Combine(p.DatasetDir, "text")));
        var verify = p.Build("-t:VerifyDataset", "-p:TorchDevice=cuda");
        Assert.AreNotEqual(0, verify.ExitCode);
        StringAssert.Contains(verify.Output, "error VDS5003");
    }

    [TestMethod]
    public void CleanFromAnotherFolderRemovesTheSegmentOutputsOfRelativeSettings()
    {
        using var p = PrepareSegmentsBuildTests.Project("segment-clean-elsewhere");
        AssertBuilt(p.Build());
        string sequence = Path.Combine(p.EpisodeDir, "ep01/3s_0000.mp4");
        Assert.IsTrue(File.Exists(sequence) && File.Exists(p.AnnotationFile));

        // RawEpisodeDir, SceneFile and CaptionFile are relative: they mean the project's folder, wherever MSBuild starts.
        string elsewhere = Directory.CreateTempSubdirectory("vds-elsewhere").FullName;
        try
        {
            var verify = Repo.Run("dotnet", ["build", p.ProjectFile, "-nologo", "-nodeReuse:false", "-t:VerifyDataset"], elsewhere);
            AssertBuilt(verify);
            var clean = Repo.Run("dotnet", ["build", p.ProjectFile, "-nologo", "-nodeReuse:false", "-t:Clean"], elsewhere);
            AssertBuilt(clean);
            Assert.IsFalse(File.Exists(sequence), clean.Output);
            Assert.IsFalse(File.Exists(p.AnnotationFile));
            Assert.IsEmpty(Directory.GetFiles(p.EpisodeDir, "*.mp4", SearchOption.AllDirectories));
            Assert.IsTrue(File.Exists(Path.Combine(p.Dir, "raw/ep01.mkv")), "inputs stay");
            Assert.IsEmpty(Directory.GetFiles(elsewhere, "*", SearchOption.AllDirectories), "nothing is written where MSBuild was started");
        }
        finally { Directory.Delete(elsewhere, true); }
    }
}
