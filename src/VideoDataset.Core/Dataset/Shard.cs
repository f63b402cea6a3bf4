using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// One part of a dataset built by many machines (DESIGN §8): shard <see cref="Index"/> of
/// <see cref="Count"/>. An item belongs to the shard its identity hashes to, so the split depends
/// only on the identities (never on what is stale): shards started at different times never
/// overlap and never miss an item. <see cref="Whole"/> (0 of 1) is the one-machine build and the
/// final step.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    public const string Invalid = DiagnosticCodes.ShardSettingsInvalid;

    public static readonly Shard Whole = new(0, 1);

    /// <summary>True for shard k of N &gt; 1: it encodes only its own items and writes no manifest or annotation file.</summary>
    public bool IsPart => Count > 1;

    /// <summary>The folder name of this shard's private state (caches, requests) under the intermediate folder.</summary>
    public string StateFolderName => $"shard-{Index}-of-{Count}";

    public bool Owns(string identity) => !IsPart || Of(identity, Count) == Index;

    /// <summary>
    /// The shard an identity belongs to: the first 8 bytes of SHA-256 of its UTF-8 text, big-endian,
    /// mod <paramref name="count"/>. Stable across machines, runtimes and releases (never string.GetHashCode).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int Of(string identity, int count)
    {
        Span<byte> digest = stackalloc byte[32];
        int most = Encoding.UTF8.GetMaxByteCount(identity.Length);
        if (most > 1024) SHA256.HashData(Encoding.UTF8.GetBytes(identity), digest);
        else
        {
            Span<byte> bytes = stackalloc byte[1024];
            SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(identity, bytes)], digest);
        }
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(digest) % (ulong)count);
    }

    /// <summary>
    /// The shard from the ShardIndex and ShardCount properties as the targets resolved them (both
    /// empty: the whole dataset). Null with an error when one is set without the other, either is
    /// not a whole number, the count is below 1 or the index is outside [0, count).
    /// </summary>
    public static Shard? Parse(string index, string count, string projectFile, out Diagnostic? error)
    {
        error = null;
        index = index.Trim();
        count = count.Trim();
        if (index == "" && count == "") return Whole;
        Diagnostic Fail(string message) => Diagnostic.Error(Invalid, projectFile, 0, 0, message);
        if (count == "")
        {
            error = Fail($"ShardIndex is '{index}' but ShardCount is not set: expected both (shard k of N) or neither. Set ShardCount to the number of shards (the array's size).");
            return null;
        }
        if (index == "")
        {
            error = Fail($"ShardCount is '{count}' but ShardIndex is not set: expected both (shard k of N) or neither. Set ShardIndex (0-based), or run as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).");
            return null;
        }
        if (!int.TryParse(count, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            error = Fail($"ShardCount is '{count}': expected a whole number of at least 1.");
            return null;
        }
        if (!int.TryParse(index, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 0 || k >= n)
        {
            error = Fail($"ShardIndex is '{index}': expected a whole number from 0 to {n - 1} (ShardCount is {n}).");
            return null;
        }
        return new Shard(k, n);
    }

    public override string ToString() => IsPart ? $"shard {Index} of {Count}" : "the whole dataset";
}
