using System.Text;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Tests.Annotations;

/// <summary>
/// The parsed annotation lines are remembered between builds by the file's bytes: what the reader
/// returns never depends on whether they came from the cache, every change to the file is seen
/// (even one that keeps its size and time), and a damaged or half-written cache is ignored.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class AnnotationParseCacheTests
{
    string _dir = "";
    string Episodes => Path.Combine(_dir, "episodes");
    string AnnotationFile => Path.Combine(_dir, "annotations.jsonl");
    string CacheFile => Path.Combine(_dir, "obj", "annotations.parsed");

    [TestInitialize]
    public void Init()
    {
        _dir = Directory.CreateTempSubdirectory("vds-parsecache").FullName;
        Directory.CreateDirectory(Path.Combine(Episodes, "ep01"));
        foreach (string v in new[] { "a", "b", "c" }) File.WriteAllBytes(Path.Combine(Episodes, $"ep01/{v}.mp4"), [1]);
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    static string Line(string video, string text) =>
        $$"""{"video": "{{video}}", "scene_start": [true], "scene_end": [false], "text_0": "{{text}}"}""";

    void WriteAnnotations(params string[] lines) => File.WriteAllText(AnnotationFile, string.Join("\n", lines) + "\n");

    /// <summary>A build's read: through the cache, then the cache saved as a build saves it.</summary>
    AnnotationSet ReadCached()
    {
        var cache = new AnnotationParseCache(CacheFile);
        var set = AnnotationReader.Read(AnnotationFile, Episodes, cache: cache);
        cache.Save();
        return set;
    }

    static string Describe(AnnotationSet set) =>
        string.Join("\n", set.Entries.Select(e => $"{e.Line} {e.Video} {e.VideoPath} {string.Join("|", e.EncodedTexts())}"))
        + "\n--\n" + string.Join("\n", set.Diagnostics);

    [TestMethod]
    public void ACachedReadGivesWhatAFreshReadGives()
    {
        WriteAnnotations(Line("ep01/a.mp4", "Ünïcødé 🎬 \\\"q\\\""), "", Line("ep01/b.mp4", "B"));
        string fresh = Describe(AnnotationReader.Read(AnnotationFile, Episodes));
        Assert.AreEqual(fresh, Describe(ReadCached()));
        Assert.IsTrue(File.Exists(CacheFile), "a file with no bad line is remembered");
        Assert.IsNotNull(new AnnotationParseCache(CacheFile).Load(File.ReadAllBytes(AnnotationFile)), "the second read comes from the cache");
        Assert.AreEqual(fresh, Describe(ReadCached()));
    }

    [TestMethod]
    public void AnEditThatKeepsSizeAndTimeIsSeen()
    {
        WriteAnnotations(Line("ep01/a.mp4", "first"), Line("ep01/b.mp4", "B"));
        ReadCached();
        var time = File.GetLastWriteTimeUtc(AnnotationFile);
        long size = new FileInfo(AnnotationFile).Length;
        WriteAnnotations(Line("ep01/a.mp4", "FIRST"), Line("ep01/b.mp4", "B"));
        File.SetLastWriteTimeUtc(AnnotationFile, time);
        Assert.AreEqual(size, new FileInfo(AnnotationFile).Length);

        var set = ReadCached();
        Assert.AreEqual("<start_scene>FIRST", set.Entries[0].EncodedText(0));
        Assert.AreEqual(Describe(AnnotationReader.Read(AnnotationFile, Episodes)), Describe(set));
    }

    [TestMethod]
    public void TheFileSystemIsAskedEveryTimeAVideoGoesOrLeavesEpisodeDir()
    {
        WriteAnnotations(Line("ep01/a.mp4", "A"), Line("ep01/b.mp4", "B"), Line("ep01/c.mp4", "C"));
        Assert.IsEmpty(ReadCached().Diagnostics);

        File.Delete(Path.Combine(Episodes, "ep01/a.mp4"));
        File.Delete(Path.Combine(Episodes, "ep01/b.mp4"));
        File.WriteAllBytes(Path.Combine(_dir, "secret.mp4"), [2]);
        File.CreateSymbolicLink(Path.Combine(Episodes, "ep01/b.mp4"), Path.Combine(_dir, "secret.mp4"));
        var set = ReadCached();
        CollectionAssert.AreEqual(new[] { DiagnosticCodes.AnnotationVideoNotFound, DiagnosticCodes.AnnotationPathOutsideEpisodeDir },
            set.Diagnostics.Select(d => d.Code).ToArray(), string.Join("\n", set.Diagnostics));
        Assert.AreEqual("ep01/c.mp4", set.Entries.Single().Video);
        Assert.AreEqual(Describe(AnnotationReader.Read(AnnotationFile, Episodes)), Describe(set));
    }

    [TestMethod]
    public void AFolderThatBecomesALinkOutsideEpisodeDirIsSeen()
    {
        WriteAnnotations(Line("ep01/a.mp4", "A"), Line("ep02/x.mp4", "X"));
        Directory.CreateDirectory(Path.Combine(_dir, "elsewhere"));
        File.WriteAllBytes(Path.Combine(_dir, "elsewhere/x.mp4"), [3]);
        Directory.CreateDirectory(Path.Combine(Episodes, "ep02"));
        File.WriteAllBytes(Path.Combine(Episodes, "ep02/x.mp4"), [3]);
        Assert.IsEmpty(ReadCached().Diagnostics);

        Directory.Delete(Path.Combine(Episodes, "ep02"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(Episodes, "ep02"), Path.Combine(_dir, "elsewhere"));
        var d = ReadCached().Diagnostics.Single();
        Assert.AreEqual(DiagnosticCodes.AnnotationPathOutsideEpisodeDir, d.Code);
        Assert.AreEqual(2, d.Line);
    }

    [TestMethod]
    public void AFileWithABadLineIsNotRememberedAndReportsItEveryTime()
    {
        WriteAnnotations(Line("ep01/a.mp4", "A"), "{\"video\": ", Line("ep01/a.mp4", "again"));
        for (int build = 0; build < 2; build++)
        {
            var set = ReadCached();
            CollectionAssert.AreEqual(new[] { DiagnosticCodes.AnnotationMalformedJson, DiagnosticCodes.AnnotationDuplicateVideo },
                set.Diagnostics.Select(d => d.Code).ToArray(), string.Join("\n", set.Diagnostics));
            Assert.AreEqual(Describe(AnnotationReader.Read(AnnotationFile, Episodes)), Describe(set));
        }
        Assert.IsFalse(File.Exists(CacheFile));
    }

    [TestMethod]
    public void ADamagedOrHalfWrittenCacheIsIgnored()
    {
        WriteAnnotations(Line("ep01/a.mp4", "A"), Line("ep01/b.mp4", "B"));
        string fresh = Describe(AnnotationReader.Read(AnnotationFile, Episodes));
        ReadCached();
        byte[] good = File.ReadAllBytes(CacheFile);
        byte[] annotations = File.ReadAllBytes(AnnotationFile);

        var damaged = new List<byte[]>
        {
            good[..(good.Length / 2)],           // cut short, as a write that was not atomic would leave it
            Array.Empty<byte>(),                 // empty
            Encoding.UTF8.GetBytes("garbage\n"), // not a cache at all
        };
        for (int i = 0; i < good.Length; i += Math.Max(1, good.Length / 7))
        {
            var flipped = (byte[])good.Clone();
            flipped[i] ^= 0x20;
            damaged.Add(flipped);
        }
        foreach (var bytes in damaged)
        {
            File.WriteAllBytes(CacheFile, bytes);
            Assert.IsNull(new AnnotationParseCache(CacheFile).Load(annotations), $"a cache of {bytes.Length} bytes was trusted");
            Assert.AreEqual(fresh, Describe(ReadCached()));
            CollectionAssert.AreEqual(good, File.ReadAllBytes(CacheFile), "the next build writes it anew");
        }

        // A build killed while writing leaves at most a temporary file beside it, which is never read.
        File.WriteAllBytes(CacheFile + AtomicFile.TempMarker + "killed", good[..10]);
        Assert.AreEqual(fresh, Describe(ReadCached()));
    }

    [TestMethod]
    public void AnUnchangedFileDoesNotRewriteTheCache()
    {
        WriteAnnotations(Line("ep01/a.mp4", "A"));
        ReadCached();
        var stamp = File.GetLastWriteTimeUtc(CacheFile).AddMinutes(-5);
        File.SetLastWriteTimeUtc(CacheFile, stamp);
        ReadCached();
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(CacheFile));
    }
}
