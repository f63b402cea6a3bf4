using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// The encoder-relevant fields of a diffusers <c>AutoencoderKLCogVideoX</c> <c>config.json</c>,
/// with diffusers' defaults for fields the file leaves out.
/// </summary>
public sealed record VaeConfig
{
    public int InChannels { get; init; } = 3;
    public IReadOnlyList<string> DownBlockTypes { get; init; } = Enumerable.Repeat("CogVideoXDownBlock3D", 4).ToArray();
    public IReadOnlyList<int> BlockOutChannels { get; init; } = new[] { 128, 256, 256, 512 };
    public int LatentChannels { get; init; } = 16;
    public int LayersPerBlock { get; init; } = 3;
    public string ActFn { get; init; } = "silu";
    public double NormEps { get; init; } = 1e-6;
    public int NormNumGroups { get; init; } = 32;
    public double TemporalCompressionRatio { get; init; } = 4;

    /// <summary>How many of the first down blocks also halve time: log2(temporal_compression_ratio).</summary>
    public int TemporalCompressLevel => (int)Math.Log2(TemporalCompressionRatio);

    /// <summary>The spatial factor: every down block but the last halves H and W.</summary>
    public int SpatialCompression => 1 << (BlockOutChannels.Count - 1);

    public const string FileName = "config.json";

    /// <summary>Reads <c>config.json</c>; every problem is a VDS4201 (file) or VDS4202 (field) naming the file.</summary>
    public static VaeConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VaeConfigUnreadable, path, 0, 0, "VAE config.json not found"));
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e)
        {
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VaeConfigUnreadable, path, (int)(e.LineNumber ?? -1) + 1, (int)(e.BytePositionInLine ?? -1) + 1,
                $"VAE config.json is not valid JSON: {e.Message}"));
        }
        using (doc) return Parse(doc.RootElement, path);
    }

    internal static VaeConfig Parse(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Field(path, "(root)", "expected a JSON object");
        var c = new VaeConfig();
        if (Get(root, "in_channels") is { } inCh) c = c with { InChannels = PositiveInt(inCh, path, "in_channels") };
        if (Get(root, "latent_channels") is { } lat) c = c with { LatentChannels = PositiveInt(lat, path, "latent_channels") };
        if (Get(root, "layers_per_block") is { } lpb) c = c with { LayersPerBlock = PositiveInt(lpb, path, "layers_per_block") };
        if (Get(root, "norm_num_groups") is { } g) c = c with { NormNumGroups = PositiveInt(g, path, "norm_num_groups") };
        if (Get(root, "norm_eps") is { } eps)
        {
            if (eps.ValueKind != JsonValueKind.Number || eps.GetDouble() <= 0) throw Field(path, "norm_eps", "expected a positive number");
            c = c with { NormEps = eps.GetDouble() };
        }
        if (Get(root, "temporal_compression_ratio") is { } tcr)
        {
            if (tcr.ValueKind != JsonValueKind.Number) throw Field(path, "temporal_compression_ratio", "expected a number");
            double r = tcr.GetDouble();
            if (r < 1 || Math.Log2(r) != Math.Floor(Math.Log2(r)))
                throw Field(path, "temporal_compression_ratio", $"expected a power of two >= 1, found {r}");
            c = c with { TemporalCompressionRatio = r };
        }
        if (Get(root, "act_fn") is { } act)
        {
            if (act.ValueKind != JsonValueKind.String || (act.GetString() is not ("silu" or "swish")))
                throw Field(path, "act_fn", $"only \"silu\" is supported, found {act.GetRawText()}");
            c = c with { ActFn = act.GetString()! };
        }
        if (Get(root, "block_out_channels") is { } boc)
        {
            if (boc.ValueKind != JsonValueKind.Array || boc.GetArrayLength() == 0)
                throw Field(path, "block_out_channels", "expected a non-empty array of positive integers");
            var channels = new int[boc.GetArrayLength()];
            int i = 0;
            foreach (var e in boc.EnumerateArray()) channels[i++] = PositiveInt(e, path, "block_out_channels");
            c = c with { BlockOutChannels = channels };
        }
        if (Get(root, "down_block_types") is { } dbt)
        {
            if (dbt.ValueKind != JsonValueKind.Array) throw Field(path, "down_block_types", "expected an array of strings");
            var types = new string[dbt.GetArrayLength()];
            int i = 0;
            foreach (var e in dbt.EnumerateArray()) types[i++] = e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
            foreach (var t in types)
                if (t != "CogVideoXDownBlock3D")
                    throw Field(path, "down_block_types", $"only \"CogVideoXDownBlock3D\" is supported, found {t}");
            c = c with { DownBlockTypes = types };
        }
        if (c.DownBlockTypes.Count != c.BlockOutChannels.Count)
            throw Field(path, "down_block_types", $"has {c.DownBlockTypes.Count} entries but block_out_channels has {c.BlockOutChannels.Count}");
        foreach (int ch in c.BlockOutChannels)
            if (ch % c.NormNumGroups != 0)
                throw Field(path, "norm_num_groups", $"{c.NormNumGroups} does not divide block_out_channels entry {ch}");
        if (c.TemporalCompressLevel > c.BlockOutChannels.Count - 1)
            throw Field(path, "temporal_compression_ratio", $"{c.TemporalCompressionRatio} needs {c.TemporalCompressLevel} downsampling blocks, only {c.BlockOutChannels.Count - 1} exist");
        return c;
    }

    static JsonElement? Get(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    static int PositiveInt(JsonElement e, string path, string field)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v > 0) return v;
        throw Field(path, field, $"expected a positive integer, found {e.GetRawText()}");
    }

    static DiagnosticException Field(string path, string field, string message) =>
        new(Diagnostic.Error(DiagnosticCodes.VaeConfigBadField, path, 0, 0, $"VAE config field '{field}': {message}"));
}
