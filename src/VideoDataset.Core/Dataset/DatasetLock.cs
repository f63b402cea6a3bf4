using System.Globalization;
using System.Text;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// The lock a build holds on its DatasetDir (DESIGN §8): shards of one dataset share it, the whole
/// dataset's build (the final step), Clean and PruneDataset hold it alone. It is an OS lock
/// (<c>flock</c>, which Linux maps to <c>fcntl</c> byte-range locks on NFS), dropped when the process
/// ends however it ends, so a killed build never leaves a lock behind; a conflict is refused at once
/// (non-blocking), never waited for.
/// <para>
/// The lock file holds a fixed note, written once when the file is made and never replaced (a new
/// file would be a new inode, and two builds could then "hold" two different files). Who holds the
/// lock is recorded beside it, one small file per holder in <see cref="HoldersFolder"/>, written by
/// <see cref="Announce"/> just before the build's first write and deleted when the lock is released.
/// A build that writes nothing (a no-op build) records nothing, so it changes nothing a reader could
/// see; a build refused while the holder is still planning is told so.
/// </para>
/// <para>
/// A shard also holds its own lock alone (<see cref="TryAcquireShard"/>): a file per shard in
/// <see cref="ShardLocksFolder"/>, made once and never written again, so two copies of one shard (a
/// requeued task whose old copy still runs, a double submit) never both run, while different shards
/// still do.
/// </para>
/// </summary>
public sealed class DatasetLock : IDisposable
{
    public const string FileName = ".videodataset.lock";
    public const string HoldersFolder = ".videodataset-holders";
    public const string ShardLocksFolder = ".videodataset-shards";
    const string HolderExtension = ".holder";

    readonly FileStream _stream;
    FileStream? _shardStream;
    readonly string _datasetDir;
    readonly string _description;
    string? _record;

    DatasetLock(FileStream stream, string datasetDir, string description)
    {
        _stream = stream;
        _datasetDir = datasetDir;
        _description = description;
    }

    static readonly byte[] Note = Encoding.UTF8.GetBytes("A VideoDataset build holds an OS lock on this file while it writes this folder.\n");

    /// <summary>An exclusive lock for a build described only as "a build" (kept for callers that need no shards).</summary>
    public static DatasetLock? TryAcquire(string datasetDir, out string holder) => TryAcquire(datasetDir, shared: false, "a build", out holder);

    /// <summary>
    /// The lock (shared by shards, or exclusive), or null when another build holds it in a way that
    /// excludes this one; then <paramref name="holder"/> names who holds it (host, pid, what, since when),
    /// as far as the holders have recorded it.
    /// </summary>
    /// <param name="description">What this build is, for others' messages: "shard 2 of 16", "the final build", "Clean".</param>
    public static DatasetLock? TryAcquire(string datasetDir, bool shared, string description, out string holder)
    {
        Directory.CreateDirectory(datasetDir);
        string path = Path.Combine(datasetDir, FileName);
        holder = "";
        CreateOnce(path);
        try
        {
            // .NET on Unix takes flock(LOCK_EX) for FileShare.None and flock(LOCK_SH) for a read-only
            // stream that shares; on NFS Linux turns these into fcntl write/read locks, which need
            // the file open for writing/reading respectively: so ReadWrite for exclusive, Read for shared.
            var stream = shared
                ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)
                : new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            var held = new DatasetLock(stream, datasetDir, description);
            held.RemoveDeadRecords(all: !shared);
            return held;
        }
        catch (IOException)
        {
            holder = DescribeHolders(datasetDir);
            return null;
        }
    }

    /// <summary>The file shard k of N holds alone while it runs: <c>.videodataset-shards/shard-k-of-N.lock</c>.</summary>
    public static string ShardLockFile(string datasetDir, Shard shard) =>
        Path.Combine(datasetDir, ShardLocksFolder, shard.StateFolderName + ".lock");

    /// <summary>
    /// For shard k of N: the dataset's lock shared with the other shards, then the shard's own lock
    /// alone. Null when either is refused; <paramref name="sameShard"/> then says it was the shard's own
    /// (another copy of this shard runs), and <paramref name="holder"/> names that copy, or whoever
    /// holds the dataset alone.
    /// </summary>
    public static DatasetLock? TryAcquireShard(string datasetDir, Shard shard, out string holder, out bool sameShard)
    {
        sameShard = false;
        var held = TryAcquire(datasetDir, shared: true, shard.ToString(), out holder);
        if (held is null) return null;
        string path = ShardLockFile(datasetDir, shard);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            CreateOnce(path);
            // Exclusive: flock(LOCK_EX), an fcntl write lock on NFS, so opened for writing (never written).
            held._shardStream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return held;
        }
        catch (IOException)
        {
            held.Dispose();
            sameShard = true;
            holder = DescribeHolders(datasetDir, shard.ToString());
            return null;
        }
    }

    /// <summary>Makes the lock file with its note if there is none (O_EXCL: two builds starting at the same instant make it once).</summary>
    static void CreateOnce(string path)
    {
        if (File.Exists(path)) return;
        try
        {
            using var created = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite);
            created.Write(Note);
        }
        catch (IOException) when (File.Exists(path)) { } // another build made it first
    }

    /// <summary>
    /// Records this holder (host, pid, what, since when) for the builds it refuses, once, just before
    /// this build first writes to the DatasetDir. The record goes when the lock does.
    /// </summary>
    public void Announce()
    {
        if (_record is not null) return;
        string folder = Path.Combine(_datasetDir, HoldersFolder);
        string record = Path.Combine(folder, $"{Environment.MachineName}.{Environment.ProcessId}{HolderExtension}");
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{_description} on host {Environment.MachineName}, pid {Environment.ProcessId}, since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        string? job = Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } array
            ? array + "_" + Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID")
            : Environment.GetEnvironmentVariable("SLURM_JOB_ID");
        if (!string.IsNullOrEmpty(job)) text.Append(", Slurm job ").Append(job);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(record, text.Append('\n').ToString());
        _record = record;
    }

    /// <summary>Who holds the lock, from the holders' records; says so when none has recorded itself yet.</summary>
    /// <param name="only">When given, only holders described so ("shard 3 of 16"): the copy of one shard that runs.</param>
    public static string DescribeHolders(string datasetDir, string? only = null)
    {
        var holders = new List<string>();
        string folder = Path.Combine(datasetDir, HoldersFolder);
        if (Directory.Exists(folder))
            foreach (string f in Directory.EnumerateFiles(folder, "*" + HolderExtension).Order(StringComparer.Ordinal))
            {
                if (IsDeadHere(f)) continue;
                string text;
                try { text = File.ReadAllText(f).Trim(); } catch (IOException) { continue; } // released meanwhile
                if (only is null || text.StartsWith(only + " on host ", StringComparison.Ordinal)) holders.Add(text);
            }
        return holders.Count > 0 ? "held by " + string.Join("; ", holders)
            : "held by a build that has recorded no holder yet: it is still planning (a build records itself before its first write)";
    }

    /// <summary>A record of this host whose process is gone: left by a killed build.</summary>
    static bool IsDeadHere(string record)
    {
        var parts = Path.GetFileNameWithoutExtension(record).Split('.');
        if (parts.Length < 2 || !string.Equals(string.Join('.', parts[..^1]), Environment.MachineName, StringComparison.Ordinal)) return false;
        if (!int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return false;
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return p.HasExited; }
        catch (ArgumentException) { return true; }
    }

    /// <summary>
    /// Removes records that a killed build left: every record when this build holds the lock alone
    /// (no one else can hold it), else this host's records of processes that are gone. A clean
    /// dataset has none, so this writes nothing in a no-op build.
    /// </summary>
    void RemoveDeadRecords(bool all)
    {
        string folder = Path.Combine(_datasetDir, HoldersFolder);
        if (!Directory.Exists(folder)) return;
        foreach (string f in Directory.EnumerateFiles(folder, "*" + HolderExtension))
            if (all || IsDeadHere(f))
                try { File.Delete(f); } catch (IOException) { }
    }

    public void Dispose()
    {
        if (_record is not null)
            try { File.Delete(_record); } catch (IOException) { }
        _shardStream?.Dispose();
        _stream.Dispose();
    }
}
