using VideoDataset.Core.Dataset;
using VideoDataset.Core.Staleness;

namespace VideoDataset.Tests.Settings;

/// <summary>What the worker reports is remembered without reading the file back; nothing unchanged is rewritten.</summary>
[TestClass]
[TestCategory("Unit")]
public sealed class FreshnessTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("vds-fresh").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void ARecordedKeyIsUsedUntilTheFileChangesThenTheFileIsReadAgain()
    {
        string output = Path.Combine(_dir, "a.pt"), cacheFile = Path.Combine(_dir, "keys.tsv");
        File.WriteAllText(output, "written by the worker");
        var cache = FileStampCache.Load(cacheFile);
        cache.Record(output, "key-1");
        Assert.AreEqual("key-1", cache.Get(output, _ => throw new AssertFailedException("read back although the key was reported")));
        cache.Save();

        var reloaded = FileStampCache.Load(cacheFile);
        Assert.AreEqual("key-1", reloaded.Get(output, _ => throw new AssertFailedException("read back after a reload")));
        File.AppendAllText(output, " and damaged");
        Assert.AreEqual("read", reloaded.Get(output, _ => "read"), "a changed file is read again, so damage is seen");
    }

    [TestMethod]
    public void ACacheWithNoNewEntryIsNotRewritten()
    {
        string input = Path.Combine(_dir, "v.mp4"), cacheFile = Path.Combine(_dir, "hashes.tsv");
        File.WriteAllText(input, "video");
        var cache = FileStampCache.Load(cacheFile);
        cache.Get(input, FileStampCache.Sha256OfFile);
        cache.Save();
        var written = File.GetLastWriteTimeUtc(cacheFile);
        File.SetLastWriteTimeUtc(cacheFile, written.AddMinutes(-5));

        var again = FileStampCache.Load(cacheFile);
        again.Get(input, _ => throw new AssertFailedException("hashed again"));
        again.Record(input, again.Get(input, FileStampCache.Sha256OfFile)); // the same entry once more
        again.Save();
        Assert.AreEqual(written.AddMinutes(-5), File.GetLastWriteTimeUtc(cacheFile));
    }

    [TestMethod]
    public void TakingTheLockAgainLeavesItsFileAsItWasAndASecondTakerIsRefused()
    {
        string lockFile = Path.Combine(_dir, DatasetLock.FileName);
        using (var first = DatasetLock.TryAcquire(_dir, out _)) Assert.IsNotNull(first);
        var stamp = File.GetLastWriteTimeUtc(lockFile).AddMinutes(-5);
        File.SetLastWriteTimeUtc(lockFile, stamp);
        long length = new FileInfo(lockFile).Length;

        using var held = DatasetLock.TryAcquire(_dir, out _);
        Assert.IsNotNull(held);
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(lockFile), "taking the lock rewrites nothing");
        Assert.AreEqual(length, new FileInfo(lockFile).Length);
        Assert.IsNull(DatasetLock.TryAcquire(_dir, out _), "held: a second taker is refused");
    }
}
