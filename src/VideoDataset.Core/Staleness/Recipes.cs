using System.Security.Cryptography;
using System.Text;

namespace VideoDataset.Core.Staleness;

/// <summary>
/// What an output is built from, as hashes (DESIGN §6). An output's key hashes its input content
/// with its stage's recipe: model weights, every setting that changes the bytes, and the
/// encoder's own version. Bump a version whenever a code change changes output bytes. Not bumped when a change only
/// brings outlying machines to the bytes every other machine writes (one-thread CPUs' <c>conv_shortcut</c>, 2026-12:
/// one bfloat16 step in about 0.2 % of their values): that would re-encode every dataset for differences within
/// the reference's tolerance.
/// </summary>
public static class Recipes
{
    public const string LatentEncoderVersion = "1";
    public const string TextEncoderVersion = "1";

    /// <summary>Identity of a model folder: the content hashes of the files that define it.</summary>
    public static string ModelIdentity(string dir, IEnumerable<string> files, FileStampCache hashes)
    {
        var sb = new StringBuilder();
        foreach (string f in files.Select(Path.GetFullPath).Distinct().OrderBy(f => f, StringComparer.Ordinal))
            sb.Append(Path.GetRelativePath(dir, f).Replace('\\', '/')).Append('=').Append(hashes.Get(f, FileStampCache.Sha256OfFile)).Append('\n');
        return Sha256Hex(sb.ToString());
    }

    /// <summary>The files of a model folder that define its behaviour: config and safetensors (never pickles).</summary>
    public static IEnumerable<string> WeightFiles(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Where(f =>
                Path.GetFileName(f) is "config.json" || f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".safetensors.index.json", StringComparison.Ordinal))
            : [];

    /// <summary>Every regular file of the tokenizer folder (spiece.model and the JSON files that change tokenization).</summary>
    public static IEnumerable<string> TokenizerFiles(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.')) : [];

    public static string Latents(string vaeIdentity, int fps, int segmentSeconds, int width, int height, int chunkFrames, string numerics) =>
        $"videodataset-latents/{LatentEncoderVersion}\nvae={vaeIdentity}\nfps={fps}\nsegment={segmentSeconds}\nsize={width}x{height}\nchunk={chunkFrames}\nnumerics={numerics}\n";

    public static string Text(string t5Identity, string tokenizerIdentity, int maxLength, string numerics) =>
        $"videodataset-text/{TextEncoderVersion}\nt5={t5Identity}\ntokenizer={tokenizerIdentity}\nmaxlen={maxLength}\nnumerics={numerics}\n";

    /// <summary>The key of one output: its stage recipe and its input's identity.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static string Key(string recipe, string input)
    {
        // The UTF-8 of recipe + "input=" + input + "\n", hashed without building the string: a plan makes one key per video and per distinct text.
        int most = Encoding.UTF8.GetMaxByteCount(recipe.Length + input.Length + 7);
        byte[]? rented = most > 2048 ? System.Buffers.ArrayPool<byte>.Shared.Rent(most) : null;
        Span<byte> bytes = rented ?? stackalloc byte[2048];
        int n = Encoding.UTF8.GetBytes(recipe, bytes);
        n += Encoding.UTF8.GetBytes("input=", bytes[n..]);
        n += Encoding.UTF8.GetBytes(input, bytes[n..]);
        bytes[n++] = (byte)'\n';
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(bytes[..n], digest);
        if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return Convert.ToHexStringLower(digest);
    }

    public static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}
