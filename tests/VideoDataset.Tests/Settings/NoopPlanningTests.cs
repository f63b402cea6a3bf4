using System.Security.Cryptography;
using System.Text;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Staleness;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Settings;

/// <summary>
/// The shortcuts that make a no-op build of 100,000 lines cheap give the answers of the plain
/// computations they replace: keys, which texts are missing, manifest bytes, cache lines.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class NoopPlanningTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("vds-noop").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [DataRow("")]
    [DataRow("ep01/a.mp4")]
    [DataRow("<start_scene>Ünïcødé 日本 🎬 \"quoted\"<end_scene>")]
    [DataRow("half a pair \ud800 of surrogates")]
    public void AKeyIsTheSha256OfRecipeInputAndANewline(string input)
    {
        foreach (string recipe in new[] { Recipes.Text("t5", "tok", 498, "float32"), new string('r', 3000) })
            foreach (string i in new[] { input, input + new string('x', 5000) })
                Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe + "input=" + i + "\n"))), Recipes.Key(recipe, i));
    }

    [TestMethod]
    public void StaleTextsAreExactlyTheMissingOnesHoweverTheirFolderIsReached()
    {
        var s = TestSettings.Create(_dir);
        Directory.CreateDirectory(Path.Combine(s.EpisodeDir, "ep"));
        var lines = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            File.WriteAllText(Path.Combine(s.EpisodeDir, $"ep/v{i}.mp4"), "placeholder " + i);
            lines.Add($$"""{"video": "ep/v{{i}}.mp4", "scene_start": [false], "scene_end": [false], "text_0": "text {{i}}"}""");
        }
        File.WriteAllLines(s.AnnotationFile, lines);
        var plan = DatasetPlan.Create(s, FileStampCache.Load(Path.Combine(_dir, "h.tsv")), "/p/Dataset.proj", 0);
        Assert.HasCount(40, plan.Texts);
        CollectionAssert.AreEquivalent(plan.Texts.ToList(), plan.StaleTexts(), "no text folder yet");

        // Half present; one of them in a folder that is a link to elsewhere (a listing may not enter it).
        var present = plan.Texts.Where((_, i) => i % 2 == 0).ToList();
        foreach (var t in present.Skip(1))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(t.OutputPath)!);
            File.WriteAllText(t.OutputPath, "tensor");
        }
        var linked = present[0];
        string elsewhere = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, Path.GetFileName(linked.OutputPath)), "tensor");
        string linkedFolder = Path.GetDirectoryName(linked.OutputPath)!;
        if (Directory.Exists(linkedFolder)) // another present text shares the folder: link the file itself
            File.CreateSymbolicLink(linked.OutputPath, Path.Combine(elsewhere, Path.GetFileName(linked.OutputPath)));
        else
            Directory.CreateSymbolicLink(linkedFolder, elsewhere);

        var stale = plan.StaleTexts();
        CollectionAssert.AreEquivalent(plan.Texts.Where(t => !File.Exists(t.OutputPath)).ToList(), stale);
        CollectionAssert.AreEquivalent(plan.Texts.Except(present).ToList(), stale);
    }

    [TestMethod]
    public void AManifestRendersAsBefore()
    {
        var lines = new[]
        {
            new ManifestLine("latents/ep01/a.pt", ["text/ab/ab1.pt", "text/cd/cd2.pt"], "ep01/a.mp4"),
            new ManifestLine("latents/ép 02/\"b\".pt", [], "ép 02/\"b\".mp4"),
        };
        Assert.AreEqual(
            "{\"vid_emb\":\"latents/ep01/a.pt\",\"text_chunk_emb\":[\"text/ab/ab1.pt\",\"text/cd/cd2.pt\"],\"video\":\"ep01/a.mp4\"}\n" +
            "{\"vid_emb\":\"latents/ép 02/\\\"b\\\".pt\",\"text_chunk_emb\":[],\"video\":\"ép 02/\\\"b\\\".mp4\"}\n",
            ManifestWriter.Render(lines));
        Assert.AreEqual("", ManifestWriter.Render([]));
    }

    [TestMethod]
    public void AFileHoldsExactlyItsBytes()
    {
        string path = Path.Combine(_dir, "manifest-3s.jsonl");
        var big = new byte[(3 << 20) + 17];
        new Random(3).NextBytes(big);
        Assert.IsFalse(VideoDataset.Core.IO.AtomicFile.Holds(path, big), "missing");
        File.WriteAllBytes(path, big);
        Assert.IsTrue(VideoDataset.Core.IO.AtomicFile.Holds(path, big));
        var last = (byte[])big.Clone();
        last[^1] ^= 1;
        Assert.IsFalse(VideoDataset.Core.IO.AtomicFile.Holds(path, last), "differs in the last piece");
        Assert.IsFalse(VideoDataset.Core.IO.AtomicFile.Holds(path, big.AsSpan(0, big.Length - 1)), "shorter");
        File.WriteAllBytes(path, []);
        Assert.IsTrue(VideoDataset.Core.IO.AtomicFile.Holds(path, ReadOnlySpan<byte>.Empty));
    }

    [TestMethod]
    public void ACacheLineThatIsDamagedIsSkippedAndTheOthersAreUsed()
    {
        string a = Path.Combine(_dir, "a.mp4"), b = Path.Combine(_dir, "b.mp4"), cacheFile = Path.Combine(_dir, "hashes.tsv");
        File.WriteAllText(a, "video a");
        File.WriteAllText(b, "video b");
        var cache = FileStampCache.Load(cacheFile);
        cache.Get(a, _ => "hash-a");
        cache.Get(b, _ => "hash-b");
        cache.Save();
        var text = File.ReadAllText(cacheFile).Split('\n');
        Assert.HasCount(3, text); // two lines and the end
        // b's line loses a field, as a cut-off write would leave it; a line of garbage is added.
        File.WriteAllText(cacheFile, text[0] + "\n" + text[1][..text[1].LastIndexOf('\t')] + "\nnot\ta\tcache line\n");

        var reloaded = FileStampCache.Load(cacheFile);
        Assert.AreEqual("hash-a", reloaded.Get(a, _ => throw new AssertFailedException("a's good line was not used")));
        Assert.AreEqual("computed", reloaded.Get(b, _ => "computed"));
    }
}
