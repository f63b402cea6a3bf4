using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Staleness;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Settings;

/// <summary>The split of a dataset into shards (DESIGN §8): stable, complete, disjoint, and validated.</summary>
[TestClass]
[TestCategory("Unit")]
public sealed class ShardTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("vds-shard").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void TheSplitIsAFixedFunctionOfTheIdentity()
    {
        // Fixed values: a change of the hash would move items between shards of a running array.
        // (SHA-256("ep01/a.mp4") starts 0x… ; these are its first 8 bytes big-endian mod N.)
        int[] expected = Enumerable.Range(1, 8).Select(n => Shard.Of("ep01/a.mp4", n)).ToArray();
        var digest = System.Security.Cryptography.SHA256.HashData("ep01/a.mp4"u8.ToArray());
        ulong head = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest);
        CollectionAssert.AreEqual(Enumerable.Range(1, 8).Select(n => (int)(head % (ulong)n)).ToArray(), expected);
        Assert.AreEqual(0, Shard.Of("anything", 1));
    }

    [TestMethod]
    public void EveryIdentityBelongsToExactlyOneShardAndShardsAreBalanced()
    {
        var ids = Enumerable.Range(0, 4000).Select(i => $"ep{i % 37:D2}/seq_{i:D4}.mp4").ToList();
        var counts = new int[16];
        foreach (string id in ids)
        {
            var owners = Enumerable.Range(0, 16).Where(k => new Shard(k, 16).Owns(id)).ToList();
            Assert.HasCount(1, owners, id);
            counts[owners[0]]++;
        }
        Assert.IsTrue(counts.All(c => c > 4000 / 16 / 2 && c < 4000 / 16 * 2), "balanced: " + string.Join(",", counts));
        Assert.IsTrue(ids.All(Shard.Whole.Owns));
    }

    [TestMethod]
    [DataRow("", "", 0, 1)]
    [DataRow("0", "1", 0, 1)]
    [DataRow("3", "4", 3, 4)]
    [DataRow(" 2 ", "16", 2, 16)]
    public void ValidShardSettings(string index, string count, int k, int n)
    {
        Assert.AreEqual(new Shard(k, n), Shard.Parse(index, count, "/p/Dataset.proj", out var error));
        Assert.IsNull(error);
    }

    [TestMethod]
    [DataRow("4", "4", "ShardIndex is '4': expected a whole number from 0 to 3 (ShardCount is 4)")]
    [DataRow("-1", "4", "ShardIndex is '-1': expected a whole number from 0 to 3")]
    [DataRow("0", "0", "ShardCount is '0': expected a whole number of at least 1")]
    [DataRow("x", "2", "ShardIndex is 'x'")]
    [DataRow("1", "", "ShardIndex is '1' but ShardCount is not set: expected both (shard k of N) or neither")]
    [DataRow("", "8", "ShardCount is '8' but ShardIndex is not set: expected both (shard k of N) or neither")]
    public void InvalidShardSettingsAreCanonicalErrors(string index, string count, string message)
    {
        Assert.IsNull(Shard.Parse(index, count, "/p/Dataset.proj", out var error));
        Assert.IsNotNull(error);
        StringAssert.StartsWith(error.ToString(), "/p/Dataset.proj: error VDS5060: ");
        StringAssert.Contains(error.Message, message);
    }

    DatasetSettings Dataset(int videos)
    {
        var s = TestSettings.Create(_dir);
        var lines = new List<string>();
        for (int i = 0; i < videos; i++)
        {
            string video = $"ep{i % 3}/v{i:D3}.mp4";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(s.EpisodeDir, video))!);
            File.WriteAllText(Path.Combine(s.EpisodeDir, video), "placeholder " + i);
            // Texts repeat across videos: a text's shard is its key's, not its video's.
            lines.Add($"{{\"video\": \"{video}\", \"scene_start\": [true, false], \"scene_end\": [false, true], \"text_0\": \"t{i % 7}\", \"text_1\": \"u{i}\"}}");
        }
        File.WriteAllLines(s.AnnotationFile, lines);
        return s;
    }

    [TestMethod]
    public void ShardPlansPartitionTheWholePlanAndPlanNoManifest()
    {
        var s = Dataset(60);
        var whole = DatasetPlan.Create(s, FileStampCache.Load(Path.Combine(_dir, "h.tsv")), "/p/Dataset.proj", 0);
        Assert.HasCount(60, whole.Latents);
        Assert.IsNotEmpty(whole.Manifests);
        var latents = new List<string>();
        var texts = new List<string>();
        var hashed = FileStampCache.Load(Path.Combine(_dir, "shard-hashes.tsv"));
        for (int k = 0; k < 4; k++)
        {
            var part = DatasetPlan.Create(s with { ShardIndex = k, ShardCount = 4 }, hashed, "/p/Dataset.proj", 0);
            Assert.IsEmpty(part.Manifests, "a shard plans no manifest");
            Assert.IsTrue(part.Latents.All(l => Shard.Of(l.Entry.Video, 4) == k));
            Assert.IsTrue(part.Texts.All(t => Shard.Of(t.Key, 4) == k));
            latents.AddRange(part.Latents.Select(l => l.OutputPath + "|" + l.Key));
            texts.AddRange(part.Texts.Select(t => t.OutputPath));
        }
        CollectionAssert.AreEquivalent(whole.Latents.Select(l => l.OutputPath + "|" + l.Key).ToList(), latents, "same latents, same keys, none twice");
        CollectionAssert.AreEquivalent(whole.Texts.Select(t => t.OutputPath).ToList(), texts, "same texts, none twice");
    }

    [TestMethod]
    public void AShardReadsOnlyItsOwnVideosAndTheFinalStepBorrowsWhatTheShardsHashed()
    {
        var s = Dataset(20);
        var shard = s with { ShardIndex = 1, ShardCount = 4 };
        string shardCache = Path.Combine(s.VideoDatasetIntermediateDir, shard.Shard.StateFolderName, "content-hashes.tsv");
        var hashes = FileStampCache.Load(shardCache);
        var part = DatasetPlan.Create(shard, hashes, "/p/Dataset.proj", 0);
        hashes.Save();
        Assert.AreEqual(part.Latents.Count, File.ReadAllLines(shardCache).Length, "only its own videos were hashed");

        // The whole build computes only what no shard hashed.
        int computed = 0;
        var borrowing = FileStampCache.Load(Path.Combine(_dir, "final.tsv"), [shardCache]);
        foreach (var l in DatasetPlan.Create(s, FileStampCache.Load(Path.Combine(_dir, "x.tsv")), "/p/Dataset.proj", 0).Latents)
            Assert.AreEqual(l.VideoSha256, borrowing.Get(l.Entry.VideoPath, p => { computed++; return FileStampCache.Sha256OfFile(p); }));
        Assert.AreEqual(20 - part.Latents.Count, computed);
    }

    [TestMethod]
    public void AShardDoesNotReportAnotherShardsMissingVideo()
    {
        var s = Dataset(12);
        var whole = DatasetPlan.Create(s, FileStampCache.Load(Path.Combine(_dir, "h.tsv")), "/p/Dataset.proj", 0);
        var gone = whole.Latents[5].Entry;
        File.Delete(gone.VideoPath);
        int owner = Shard.Of(gone.Video, 3);
        for (int k = 0; k < 3; k++)
        {
            var part = DatasetPlan.Create(s with { ShardIndex = k, ShardCount = 3 }, FileStampCache.Load(Path.Combine(_dir, $"h{k}.tsv")), "/p/Dataset.proj", 0);
            bool reported = part.Diagnostics.Any(d => d.Code == DiagnosticCodes.AnnotationVideoNotFound);
            Assert.AreEqual(k == owner, reported, $"shard {k}, owner {owner}");
        }
    }
}
