using VideoDataset.Core.Dataset;

namespace VideoDataset.Tests.Settings;

/// <summary>
/// The DatasetDir lock (DESIGN §8): shards share it, the whole build holds it alone, a refusal names
/// the holder, and taking it writes nothing. Each taker is a separate open file, as separate
/// processes are (flock conflicts between open files, even in one process).
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class DatasetLockTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("vds-lock").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void ShardsShareTheLockAndTheWholeBuildIsRefusedNamingTheShard()
    {
        using var a = DatasetLock.TryAcquire(_dir, shared: true, "shard 0 of 4", out _);
        using var b = DatasetLock.TryAcquire(_dir, shared: true, "shard 3 of 4", out _);
        Assert.IsNotNull(a);
        Assert.IsNotNull(b);
        b.Announce();
        Assert.IsNull(DatasetLock.TryAcquire(_dir, shared: false, "the final build", out string holder));
        StringAssert.Contains(holder, $"held by shard 3 of 4 on host {Environment.MachineName}, pid {Environment.ProcessId}, since ");
        b.Dispose();
        a.Dispose();
        using var final = DatasetLock.TryAcquire(_dir, shared: false, "the final build", out _);
        Assert.IsNotNull(final, "free once every shard is gone");
        Assert.IsFalse(Directory.EnumerateFiles(Path.Combine(_dir, DatasetLock.HoldersFolder)).Any(), "a released holder's record is gone");
    }

    [TestMethod]
    public void AShardIsRefusedWhileTheWholeBuildRunsAndAQuietHolderIsSaidToBePlanning()
    {
        using var final = DatasetLock.TryAcquire(_dir, shared: false, "the final build", out _);
        Assert.IsNotNull(final);
        Assert.IsNull(DatasetLock.TryAcquire(_dir, shared: true, "shard 1 of 2", out string holder));
        StringAssert.Contains(holder, "recorded no holder yet");
        final.Announce();
        Assert.IsNull(DatasetLock.TryAcquire(_dir, shared: true, "shard 1 of 2", out holder));
        StringAssert.Contains(holder, "held by the final build on host");
        Assert.IsNull(DatasetLock.TryAcquire(_dir, shared: false, "Clean", out _));
    }

    [TestMethod]
    public void TakingTheLockWithoutWritingChangesNothingInTheFolder()
    {
        using (var first = DatasetLock.TryAcquire(_dir, shared: true, "shard 0 of 2", out _)) Assert.IsNotNull(first);
        string lockFile = Path.Combine(_dir, DatasetLock.FileName);
        var stamp = File.GetLastWriteTimeUtc(lockFile).AddMinutes(-5);
        File.SetLastWriteTimeUtc(lockFile, stamp);
        Directory.SetLastWriteTimeUtc(_dir, stamp);
        foreach (bool shared in new[] { true, false })
            using (var held = DatasetLock.TryAcquire(_dir, shared, "x", out _)) Assert.IsNotNull(held);
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(lockFile));
        Assert.AreEqual(stamp, Directory.GetLastWriteTimeUtc(_dir), "no entry made or removed");
        CollectionAssert.AreEqual(new[] { DatasetLock.FileName }, Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void ARecordLeftByAKilledBuildOfThisHostIsNotNamed()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, DatasetLock.HoldersFolder)).FullName;
        File.WriteAllText(Path.Combine(folder, $"{Environment.MachineName}.{int.MaxValue - 7}.holder"), "shard 9 of 16 on host gone\n");
        using var quiet = DatasetLock.TryAcquire(_dir, shared: true, "shard 0 of 2", out _);
        Assert.IsNotNull(quiet);
        Assert.IsFalse(Directory.EnumerateFiles(folder).Any(), "a shard removes this host's records of processes that are gone");
    }

    [TestMethod]
    public void TwoShardsStartingAtTheSameInstantBothGetTheLock()
    {
        for (int round = 0; round < 20; round++)
        {
            string dir = Path.Combine(_dir, "r" + round);
            using var start = new Barrier(2);
            var locks = new DatasetLock?[2];
            Parallel.For(0, 2, i => { start.SignalAndWait(); locks[i] = DatasetLock.TryAcquire(dir, shared: true, $"shard {i} of 2", out _); });
            Assert.IsTrue(locks.All(l => l is not null), $"round {round}");
            foreach (var l in locks) l!.Dispose();
            Assert.AreEqual("A VideoDataset build holds an OS lock on this file while it writes this folder.\n", File.ReadAllText(Path.Combine(dir, DatasetLock.FileName)));
        }
    }

    [TestMethod]
    public void ASecondCopyOfOneShardIsRefusedNamingTheFirstWhileOtherShardsRunBesideIt()
    {
        var three = new Shard(3, 16);
        using var first = DatasetLock.TryAcquireShard(_dir, three, out _, out _);
        Assert.IsNotNull(first);
        Assert.IsNull(DatasetLock.TryAcquireShard(_dir, three, out string quiet, out bool same), "a second copy, before the first wrote anything");
        Assert.IsTrue(same);
        StringAssert.Contains(quiet, "recorded no holder yet");

        using var other = DatasetLock.TryAcquireShard(_dir, new Shard(4, 16), out _, out _);
        Assert.IsNotNull(other, "another shard runs beside it");
        other.Announce();
        first.Announce();
        Assert.IsNull(DatasetLock.TryAcquireShard(_dir, three, out string holder, out same));
        Assert.IsTrue(same);
        Assert.AreEqual($"held by shard 3 of 16 on host {Environment.MachineName}, pid {Environment.ProcessId}, since ", holder[..^"2026-12-01T13:40:00Z".Length]);
        Assert.DoesNotContain("shard 4 of 16", holder, "only the copy of this shard is named");
        Assert.IsNull(DatasetLock.TryAcquire(_dir, shared: false, "the final build", out _), "the whole build still excludes every shard");

        first.Dispose();
        using var again = DatasetLock.TryAcquireShard(_dir, three, out _, out _);
        Assert.IsNotNull(again, "free again once the first copy is gone (a requeued task after its old copy ended)");
    }

    [TestMethod]
    public void AShardIsRefusedByTheWholeBuildNotByItsOwnLockAndRetakingItWritesNothing()
    {
        var shard = new Shard(1, 2);
        using (var made = DatasetLock.TryAcquireShard(_dir, shard, out _, out _)) Assert.IsNotNull(made);
        string own = DatasetLock.ShardLockFile(_dir, shard);
        Assert.IsTrue(File.Exists(own));
        var stamp = File.GetLastWriteTimeUtc(own).AddMinutes(-5);
        File.SetLastWriteTimeUtc(own, stamp);
        Directory.SetLastWriteTimeUtc(Path.GetDirectoryName(own)!, stamp);
        using (var retaken = DatasetLock.TryAcquireShard(_dir, shard, out _, out _)) Assert.IsNotNull(retaken);
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(own), "the shard's lock file is made once, never written again");
        Assert.AreEqual(stamp, Directory.GetLastWriteTimeUtc(Path.GetDirectoryName(own)!));

        using var final = DatasetLock.TryAcquire(_dir, shared: false, "the final build", out _);
        Assert.IsNotNull(final);
        Assert.IsNull(DatasetLock.TryAcquireShard(_dir, shard, out _, out bool same));
        Assert.IsFalse(same, "refused by the dataset's lock, not by its own");
    }
}
