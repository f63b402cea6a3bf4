using System.Text.Json;
using VideoDataset.Core.Dataset;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.EndToEnd;

/// <summary>
/// Real `dotnet build` runs of temporary dataset projects on ffmpeg-made clips, with the tiny
/// models: what a first build writes, and that later builds redo exactly what went stale.
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public class IncrementalBuildTests
{
    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    static Dictionary<string, DateTime> Changed(Dictionary<string, DateTime> before, Dictionary<string, DateTime> after) =>
        after.Where(kv => !before.TryGetValue(kv.Key, out var t) || t != kv.Value).ToDictionary();

    static JsonElement CheckWithTorch(DatasetProject p)
    {
        var r = Repo.Python("e2e_check_dataset.py", p.DatasetDir, Clips.Height.ToString(), Clips.Width.ToString(), "64", "498");
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        return JsonDocument.Parse(r.Output.Trim().Split('\n')[^1]).RootElement;
    }

    [TestMethod]
    public void FirstBuildWritesEverythingAndARebuildOrTouchWritesNothing()
    {
        using var p = Clips.SmallDataset("first");
        var first = p.Build();
        AssertBuilt(first);
        StringAssert.Contains(first.Output, "3 videos (3 to encode), 4 distinct texts (4 to encode), 2 manifests");
        StringAssert.Contains(first.Output, "latents: 3/3"); // progress relayed from the worker

        // Real PyTorch loads every output through the manifests, as the trainer does.
        var summary = CheckWithTorch(p);
        Assert.AreEqual(3, summary.GetProperty("latents").GetInt32());
        Assert.AreEqual(5, summary.GetProperty("texts").GetInt32()); // references, not files
        CollectionAssert.AreEqual(new[] { "ep01/a.mp4", "ep01/b.mp4" },
            summary.GetProperty("manifests").GetProperty("manifest-3s.jsonl").EnumerateArray().Select(e => e.GetString()).ToArray());
        var before = p.Snapshot();
        Assert.HasCount(3 + 4 + 2, before); // a.mp4 and c.mp4 share one encoded string

        var again = p.Build();
        AssertBuilt(again);
        StringAssert.Contains(again.Output, "(0 to encode)");
        // PrepareDataset's stale lists are empty: neither encoding task starts a worker.
        Assert.DoesNotContain("VideoDataset: encoding", again.Output);
        StringAssert.Contains(again.Output, "Skipping target \"EncodeTextEmbeddings\" because it has no outputs");
        Assert.IsEmpty(Changed(before, p.Snapshot()));

        // Touching every input changes no content: nothing is rebuilt.
        foreach (string f in Directory.EnumerateFiles(p.EpisodeDir, "*", SearchOption.AllDirectories).Append(p.AnnotationFile))
            File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddSeconds(5));
        var touched = p.Build();
        AssertBuilt(touched);
        StringAssert.Contains(touched.Output, "3 videos (0 to encode), 4 distinct texts (0 to encode)");
        Assert.IsEmpty(Changed(before, p.Snapshot()));
    }

    [TestMethod]
    public void EditingOneTextEncodesOnlyThatTextAndPruneRemovesTheOldOne()
    {
        using var p = Clips.SmallDataset("edit");
        AssertBuilt(p.Build());
        var before = p.Snapshot();
        string manifest9 = File.ReadAllText(Path.Combine(p.DatasetDir, "manifest-9s.jsonl"));

        var lines = Clips.AnnotationLines.ToArray();
        lines[2] = lines[2].Replace("The clock keeps turning.", "The clock slows down.");
        File.WriteAllText(p.AnnotationFile, string.Join("\n", lines) + "\n");
        var r = p.Build();
        AssertBuilt(r);
        StringAssert.Contains(r.Output, "3 videos (0 to encode), 4 distinct texts (1 to encode)");
        var changed = Changed(before, p.Snapshot());
        // Exactly one new embedding and the 9-s manifest; no latent and no other manifest.
        CollectionAssert.AreEquivalent(new[] { "manifest-9s.jsonl" }, changed.Keys.Where(k => !k.StartsWith("text/")).ToArray());
        Assert.HasCount(1, changed.Keys.Where(k => k.StartsWith("text/")).ToList());
        Assert.AreNotEqual(manifest9, File.ReadAllText(Path.Combine(p.DatasetDir, "manifest-9s.jsonl")));

        // The old embedding is no longer referenced: VerifyDataset says so, PruneDataset removes it.
        var verify = p.Build("-t:VerifyDataset");
        AssertBuilt(verify);
        StringAssert.Contains(verify.Output, "warning VDS5105");
        AssertBuilt(p.Build("-t:PruneDataset"));
        Assert.HasCount(4, Directory.GetFiles(Path.Combine(p.DatasetDir, "text"), "*.pt", SearchOption.AllDirectories));
        var clean = p.Build("-t:VerifyDataset");
        AssertBuilt(clean);
        Assert.DoesNotContain("VDS5105", clean.Output);
    }

    [TestMethod]
    public void SameTextInTwoPlacesIsEncodedOnce()
    {
        using var p = Clips.SmallDataset("dedupe");
        var r = p.Build();
        AssertBuilt(r);
        // "Bars scroll left." appears plain-with-start-and-end in a.mp4 and with both tokens in c.mp4's
        // last segment: the same encoded string, one embedding.
        var m3 = File.ReadAllLines(Path.Combine(p.DatasetDir, "manifest-3s.jsonl"));
        var m9 = File.ReadAllLines(Path.Combine(p.DatasetDir, "manifest-9s.jsonl"));
        string a0 = JsonDocument.Parse(m3[0]).RootElement.GetProperty("text_chunk_emb")[0].GetString()!;
        string c2 = JsonDocument.Parse(m9[0]).RootElement.GetProperty("text_chunk_emb")[2].GetString()!;
        Assert.AreEqual(a0, c2);
        Assert.HasCount(4, Directory.GetFiles(Path.Combine(p.DatasetDir, "text"), "*.pt", SearchOption.AllDirectories));
    }

    [TestMethod]
    public void ChangingARecipeSettingRerunsOnlyTheStageItAffects()
    {
        using var p = Clips.SmallDataset("recipe");
        AssertBuilt(p.Build());
        var before = p.Snapshot();
        byte[] latentBefore = File.ReadAllBytes(Path.Combine(p.DatasetDir, "latents/ep02/c.pt"));

        var r = p.Build("-p:VaeChunkFrames=8");
        AssertBuilt(r);
        StringAssert.Contains(r.Output, "3 videos (3 to encode), 4 distinct texts (0 to encode)");
        var changed = Changed(before, p.Snapshot());
        CollectionAssert.AreEquivalent(new[] { "latents/ep01/a.pt", "latents/ep01/b.pt", "latents/ep02/c.pt" }, changed.Keys.ToArray());
        // Per-chunk GroupNorm makes the chunk size change the numbers of a multi-chunk clip.
        CollectionAssert.AreNotEqual(latentBefore, File.ReadAllBytes(Path.Combine(p.DatasetDir, "latents/ep02/c.pt")));

        // Verify with the old setting names every latent as stale because of the recipe.
        var verify = p.Build("-t:VerifyDataset");
        Assert.AreNotEqual(0, verify.ExitCode);
        foreach (string v in new[] { "ep01/a.pt", "ep01/b.pt", "ep02/c.pt" })
            StringAssert.Contains(verify.Output, Path.Combine(p.DatasetDir, "latents", v) + " : error VDS5103: Stale latent: the VAE recipe");
        // And the text embeddings did not change with a VAE setting.
        Assert.IsTrue(changed.Keys.All(k => k.StartsWith("latents/")));
    }

    [TestMethod]
    public void VerifyPassesOnACurrentDatasetAndNamesEveryBadOutput()
    {
        using var p = Clips.SmallDataset("verify");
        // Build and verify in one invocation: verification makes its own fresh plan.
        var ok = p.Build("-t:Build;VerifyDataset");
        AssertBuilt(ok);
        StringAssert.Contains(ok.Output, "verified 7 outputs and 2 manifests: the dataset is current");
        var before = p.Snapshot();

        // A changed video, a missing embedding, a corrupt latent, a hand-edited manifest.
        Clips.Make(Path.Combine(p.EpisodeDir, "ep01/a.mp4"), 49, 3);
        string someText = Directory.GetFiles(Path.Combine(p.DatasetDir, "text"), "*.pt", SearchOption.AllDirectories).First();
        File.Delete(someText);
        string latentB = Path.Combine(p.DatasetDir, "latents/ep01/b.pt");
        var bytes = File.ReadAllBytes(latentB);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(latentB, bytes);
        File.AppendAllText(Path.Combine(p.DatasetDir, "manifest-3s.jsonl"), "\n");

        var verify = p.Build("-t:VerifyDataset");
        Assert.AreNotEqual(0, verify.ExitCode);
        StringAssert.Contains(verify.Output, Path.Combine(p.DatasetDir, "latents/ep01/a.pt") + " : error VDS5103: Stale latent: the video 'ep01/a.mp4' changed");
        StringAssert.Contains(verify.Output, someText + " : error VDS5101");
        StringAssert.Contains(verify.Output, latentB + " : error VDS5102");
        StringAssert.Contains(verify.Output, Path.Combine(p.DatasetDir, "manifest-3s.jsonl") + " : error VDS5104");
        Assert.IsEmpty(Changed(before, p.Snapshot()).Keys.Where(k => !k.StartsWith("manifest") && !k.Contains("b.pt")).ToList(), "verify changed nothing");

        // A build repairs exactly those, and verify passes again.
        var repair = p.Build();
        AssertBuilt(repair);
        StringAssert.Contains(repair.Output, "3 videos (2 to encode), 4 distinct texts (1 to encode)");
        AssertBuilt(p.Build("-t:VerifyDataset"));
    }

    [TestMethod]
    public void CleanRemovesEveryOutput()
    {
        using var p = Clips.SmallDataset("clean");
        AssertBuilt(p.Build());
        Assert.IsNotEmpty(p.Snapshot());
        // A leftover temporary file of a killed build is ours too.
        File.WriteAllText(Path.Combine(p.DatasetDir, "latents/ep01/a.pt.vdstmp-123"), "partial");
        var r = p.Build("-t:Clean");
        AssertBuilt(r);
        Assert.IsEmpty(p.Snapshot(), string.Join(", ", p.Snapshot().Keys));
        Assert.IsFalse(Directory.Exists(Path.Combine(p.Dir, "obj/VideoDataset")));
        Assert.IsTrue(File.Exists(p.AnnotationFile) && File.Exists(Path.Combine(p.EpisodeDir, "ep01/a.mp4")), "inputs are kept");
    }

    [TestMethod]
    public void QuestionModeReportsStaleWorkAndPassesOnACurrentDataset()
    {
        using var p = Clips.SmallDataset("question");
        AssertBuilt(p.Build());
        AssertBuilt(p.Build("-question"));
        File.WriteAllText(p.AnnotationFile, string.Join("\n", Clips.AnnotationLines.Select(l => l.Replace("Bars scroll left.", "Bars scroll right."))) + "\n");
        var r = p.Build("-question");
        Assert.AreNotEqual(0, r.ExitCode, r.ToString());
        // MSBuild itself refuses the out-of-date target before the task runs.
        StringAssert.Contains(r.Output, "error : Building target \"EncodeTextEmbeddings\"");
        Assert.IsFalse(Directory.GetFiles(Path.Combine(p.DatasetDir, "text"), "*.pt", SearchOption.AllDirectories).Length > 4, "question mode encoded nothing");
    }

    [TestMethod]
    public void ASecondBuildOnTheSameDatasetFailsFastWithAClearMessage()
    {
        using var p = Clips.SmallDataset("lock");
        string tinyModels = Path.Combine(p.Dir, "obj", "VideoDataset", "tiny-model");
        var held = DatasetLock.TryAcquire(p.DatasetDir, out _);
        Assert.IsNotNull(held);
        var r = p.Build();
        held.Dispose();
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Output, Path.Combine(p.DatasetDir, DatasetLock.FileName) + " : error VDS5010: Another build is writing this DatasetDir");
        // Fast: it stopped at the lock, before any stage ran. No plan was made, no model was made
        // (ModelDir=tiny would make one first), no worker was started, and DatasetDir holds only the lock.
        Assert.DoesNotContain("to encode", r.Output, "no plan was made:\n" + r.Output);
        Assert.DoesNotContain("latents:", r.Output);
        Assert.IsFalse(Directory.Exists(tinyModels), "the tiny models were not made");
        CollectionAssert.AreEqual(new[] { DatasetLock.FileName },
            Directory.GetFileSystemEntries(p.DatasetDir).Select(Path.GetFileName).ToArray(), "the losing build wrote nothing");
        StringAssert.Contains(r.Output, "(_VdsLock target) ->"); // the summary names the target that failed
        StringAssert.Contains(r.Output, " 1 Error(s)");

        // Once the lock is free the same build does all of it: the checks above looked in the right places.
        var free = p.Build();
        AssertBuilt(free);
        StringAssert.Contains(free.Output, "3 videos (3 to encode)");
        Assert.IsTrue(Directory.Exists(tinyModels), tinyModels);
    }

    [TestMethod]
    public void ADatasetThatNamesNoModelIsAnError()
    {
        using var p = Clips.SmallDataset("nomodel");
        p.Properties.Remove("ModelDir");
        p.WriteProject();
        var r = p.Build();
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Output, "error VDS5002: No model is named");
        Assert.IsFalse(Directory.Exists(Path.Combine(p.DatasetDir, "latents")));
    }

    [TestMethod]
    public void BadLinesAndBadVideosFailAloneAndTheRestIsBuilt()
    {
        using var p = Clips.SmallDataset("bad");
        Clips.Make(Path.Combine(p.EpisodeDir, "ep03/short.mp4"), 40, 1);  // not Fps*L+1 frames
        Clips.Make(Path.Combine(p.EpisodeDir, "ep03/nine.mp4"), 145, 4);  // 9 s, annotated with one text
        Clips.Make(Path.Combine(p.EpisodeDir, "ep03/padded.mp4"), 48, 2); // Fps*L frames: padded, with a warning
        File.WriteAllText(Path.Combine(p.EpisodeDir, "ep03/broken.mp4"), "not a video at all");
        var lines = Clips.AnnotationLines.ToList();
        lines.Insert(1, """{"video": "ep01/b.mp4", "scene_start": [true], "scene_end": [true] "text_0": "x"}""");
        lines.Add("""{"video": "ep03/short.mp4", "scene_start": [true], "scene_end": [true], "text_0": "short"}""");
        lines.Add("""{"video": "ep03/nine.mp4", "scene_start": [true], "scene_end": [true], "text_0": "one text for nine seconds"}""");
        lines.Add("""{"video": "ep03/broken.mp4", "scene_start": [true], "scene_end": [true], "text_0": "broken"}""");
        lines.Add("""{"video": "ep03/padded.mp4", "scene_start": [true], "scene_end": [true], "text_0": "padded"}""");
        File.WriteAllText(p.AnnotationFile, string.Join("\n", lines) + "\n");

        var r = p.Build();
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Output, p.AnnotationFile + "(2,68): error VDS1001");
        StringAssert.Contains(r.Output, Path.Combine(p.EpisodeDir, "ep03/short.mp4") + " : error VDS2005");
        StringAssert.Contains(r.Output, p.AnnotationFile + "(6,1): error VDS1011");
        StringAssert.Contains(r.Output, Path.Combine(p.EpisodeDir, "ep03/broken.mp4") + " : error VDS200");
        StringAssert.Contains(r.Output, Path.Combine(p.EpisodeDir, "ep03/padded.mp4") + " : warning VDS2006");
        // Everything valid was built, and the manifests list only what exists.
        foreach (string v in new[] { "ep01/a.pt", "ep01/b.pt", "ep02/c.pt", "ep03/padded.pt" })
            Assert.IsTrue(File.Exists(Path.Combine(p.DatasetDir, "latents", v)), v);
        var m3 = File.ReadAllLines(Path.Combine(p.DatasetDir, "manifest-3s.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("video").GetString()).ToArray();
        CollectionAssert.AreEqual(new[] { "ep01/a.mp4", "ep01/b.mp4", "ep03/padded.mp4" }, m3);
    }

    [TestMethod]
    public void TheWorkerRunsTorchWhenStartedFromTheBuildOutput()
    {
        var r = Repo.Run("dotnet", new[] { Repo.WorkerPath, "selftest" });
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        // auto is CUDA where libtorch sees a GPU (a CUDA build on a GPU machine), else the CPU; this
        // process loads the same libtorch as the worker, so it knows which one the worker must report.
        string expected = TorchSharp.torch.cuda.is_available() ? "CUDA" : "CPU";
        StringAssert.Contains(r.Output, $"selftest: torch sum = 10, device = {expected}" + Environment.NewLine);
    }
}
