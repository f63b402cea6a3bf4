using System.Text;
using VideoDataset.Tests.EndToEnd;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// Bad inputs that appear after a dataset was built, through a real `dotnet build`: each is reported
/// with its code and location, and nothing built before is lost or rewritten.
/// </summary>
[TestClass]
[TestCategory("Reliability")]
public class BadInputBuildTests
{
    public TestContext TestContext { get; set; } = null!;

    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    /// <summary>Previously built outputs that are gone, changed or rewritten.</summary>
    static List<string> Lost(Dictionary<string, (string Sha, string Identity)> before, Dictionary<string, (string Sha, string Identity)> after) =>
        before.Where(kv => !after.TryGetValue(kv.Key, out var now) || now != kv.Value).Select(kv => kv.Key).ToList();

    [TestMethod]
    public void BadAnnotationLinesAndVideosLoseNothingBuilt()
    {
        using var p = Clips.SmallDataset("bad-later");
        AssertBuilt(p.Build());
        var built = KillableBuild.Outputs(p.DatasetDir);

        // Bad lines and bad videos next to the good ones.
        File.WriteAllText(Path.Combine(p.Dir, "secret.mp4"), "outside");
        File.CreateSymbolicLink(Path.Combine(p.EpisodeDir, "ep01/link.mp4"), Path.Combine(p.Dir, "secret.mp4"));
        Directory.CreateDirectory(Path.Combine(p.EpisodeDir, "ep03"));
        File.WriteAllText(Path.Combine(p.EpisodeDir, "ep03/broken.mp4"), "not a video");
        Repo.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac", Path.Combine(p.EpisodeDir, "ep03/audio.mp4"));
        Clips.Make(Path.Combine(p.EpisodeDir, "ep03/fast.mp4"), 76, fps: 25);
        string Line(string video) => $$"""{"video": "{{video}}", "scene_start": [true], "scene_end": [true], "text_0": "bad {{video}}"}""";
        var bytes = new List<byte>(File.ReadAllBytes(p.AnnotationFile));
        bytes.AddRange(Encoding.UTF8.GetBytes(Line("../secret.mp4") + "\n" + Line("/etc/hostname") + "\n" + Line("ep01/link.mp4") + "\n"
            + "{\"video\": \"ep01/a.mp4\" \"scene_start\": [true]}\n" + Line("ep03/broken.mp4") + "\n" + Line("ep03/audio.mp4") + "\n" + Line("ep03/fast.mp4") + "\n"));
        bytes.AddRange([.. Encoding.UTF8.GetBytes("{\"video\": \"ep03/x"), 0xFF, .. Encoding.UTF8.GetBytes(".mp4\"}\n")]);
        File.WriteAllBytes(p.AnnotationFile, bytes.ToArray());

        var r = p.Build();
        Assert.AreNotEqual(0, r.ExitCode);
        string a = p.AnnotationFile, e = p.EpisodeDir;
        foreach (string expected in new[]
        {
            $"{a}(4,11): error VDS1010", $"{a}(5,11): error VDS1010", $"{a}(6,11): error VDS1010", $"{a}(7,24): error VDS1001",
            $"{Path.Combine(e, "ep03/broken.mp4")} : error VDS2001", $"{Path.Combine(e, "ep03/audio.mp4")} : error VDS2002",
            $"{Path.Combine(e, "ep03/fast.mp4")} : error VDS2003", $"{a}(11,18): error VDS1013",
        })
            StringAssert.Contains(r.Output, expected, string.Join("\n", r.Output.Split('\n').Where(l => l.Contains("VDS"))));
        Assert.DoesNotContain("Unhandled exception", r.Output);
        var lost = Lost(built, KillableBuild.Outputs(p.DatasetDir));
        TestContext.WriteLine($"FIGURE bad inputs in a later build: previously built outputs lost or rewritten: {lost.Count} of {built.Count}");
        Assert.IsEmpty(lost, string.Join(", ", lost));
        Assert.IsFalse(Directory.Exists(Path.Combine(p.DatasetDir, "latents/ep03")), "no latent for a bad video");

        // Put the annotations right: nothing to encode, the same bytes.
        File.WriteAllText(p.AnnotationFile, string.Join("\n", Clips.AnnotationLines) + "\n");
        var fixedBuild = p.Build();
        AssertBuilt(fixedBuild);
        StringAssert.Contains(fixedBuild.Output, "3 videos (0 to encode), 4 distinct texts (0 to encode)");
        Assert.IsEmpty(Lost(built, KillableBuild.Outputs(p.DatasetDir)));
    }

    [TestMethod]
    public void CorruptModelFoldersLoseNothingBuilt()
    {
        using var p = Clips.SmallDataset("bad-model");
        AssertBuilt(p.Build());
        var built = KillableBuild.Outputs(p.DatasetDir);

        string tiny = Path.Combine(p.Dir, "obj/VideoDataset/tiny-model/v1");
        string vae = Path.Combine(tiny, "vae/diffusion_pytorch_model.safetensors"), spiece = Path.Combine(tiny, "tokenizer/spiece.model");
        byte[] vaeBytes = File.ReadAllBytes(vae), spieceBytes = File.ReadAllBytes(spiece);
        File.WriteAllBytes(vae, vaeBytes[..(vaeBytes.Length - 4096)]);
        File.WriteAllBytes(spiece, spieceBytes[..(spieceBytes.Length / 3)]);

        var r = p.Build();
        Assert.AreNotEqual(0, r.ExitCode);
        StringAssert.Contains(r.Output, vae + " : error VDS4111: the file is truncated");
        StringAssert.Contains(r.Output, spiece + " : error VDS3102");
        Assert.DoesNotContain("Unhandled exception", r.Output);
        // No tensor file is lost or rewritten, and the failed build leaves the last good manifests as they
        // were (warning VDS5050) instead of shrinking them to the lines the corrupt models could produce.
        var now = KillableBuild.Outputs(p.DatasetDir);
        var lost = Lost(built, now);
        var lostTensors = lost.Where(f => !f.StartsWith("manifest")).ToList();
        TestContext.WriteLine($"FIGURE corrupt models in a later build: previously built tensor files lost or rewritten: {lostTensors.Count} of {built.Count(f => !f.Key.StartsWith("manifest"))}; manifests rewritten: {lost.Count - lostTensors.Count}");
        Assert.IsEmpty(lost, string.Join(", ", lost));
        StringAssert.Contains(r.Output, "warning VDS5050");
        foreach (string m in Directory.GetFiles(p.DatasetDir, "manifest-*.jsonl"))
            foreach (string line in File.ReadAllLines(m))
            {
                var json = System.Text.Json.JsonDocument.Parse(line).RootElement;
                foreach (string f in json.GetProperty("text_chunk_emb").EnumerateArray().Select(t => t.GetString()!).Append(json.GetProperty("vid_emb").GetString()!))
                    VideoDataset.Core.Tensors.TorchTensorFile.Read(Path.Combine(p.DatasetDir, f)); // complete and checksummed
            }

        File.WriteAllBytes(vae, vaeBytes);
        File.WriteAllBytes(spiece, spieceBytes);
        var repaired = p.Build();
        AssertBuilt(repaired);
        StringAssert.Contains(repaired.Output, "3 videos (0 to encode), 4 distinct texts (0 to encode)");
        var after = KillableBuild.Outputs(p.DatasetDir);
        Assert.IsEmpty(Lost(built, after).Where(f => !f.StartsWith("manifest")).ToList());
        CollectionAssert.AreEquivalent(built.Select(kv => (kv.Key, kv.Value.Sha)).ToList(), after.Select(kv => (kv.Key, kv.Value.Sha)).ToList(), "the manifests are back, byte for byte");
    }
}
