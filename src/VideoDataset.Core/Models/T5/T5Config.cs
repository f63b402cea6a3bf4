using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// The fields of a Hugging Face <c>T5Config</c> that the encoder uses. Absent fields take
/// transformers' defaults, so real checkpoints that omit <c>relative_attention_max_distance</c>,
/// <c>dense_act_fn</c> or <c>is_gated_act</c> load as transformers loads them.
/// </summary>
public sealed record T5Config
{
    public int VocabSize { get; init; } = 32128;
    public int DModel { get; init; } = 512;
    public int DKv { get; init; } = 64;
    public int DFf { get; init; } = 2048;
    public int NumLayers { get; init; } = 6;
    public int NumHeads { get; init; } = 8;
    public int RelativeAttentionNumBuckets { get; init; } = 32;
    public int RelativeAttentionMaxDistance { get; init; } = 128;
    public double LayerNormEpsilon { get; init; } = 1e-6;
    public string FeedForwardProj { get; init; } = "relu";
    /// <summary>The activation name as transformers' ACT2FN knows it (<c>gelu_new</c> for "gated-gelu").</summary>
    public string DenseActFn { get; init; } = "relu";
    public bool IsGatedAct { get; init; }
    /// <summary>Where the config came from, for diagnostics ("" when built in code).</summary>
    public string SourcePath { get; init; } = "";

    /// <summary>Activations the feed-forward supports, by transformers' names.</summary>
    public static readonly IReadOnlyList<string> SupportedActivations = ["gelu_new", "gelu_pytorch_tanh", "gelu", "relu", "silu"];

    public static T5Config Load(string configPath)
    {
        if (!File.Exists(configPath))
            throw Error(configPath, DiagnosticCodes.T5ConfigUnreadable, "T5 config.json not found");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(configPath)); }
        catch (JsonException e) { throw Error(configPath, DiagnosticCodes.T5ConfigUnreadable, $"T5 config is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Error(configPath, DiagnosticCodes.T5ConfigUnreadable, "T5 config must be a JSON object");
            return FromJson(doc.RootElement, configPath);
        }
    }

    public static T5Config FromJson(JsonElement root, string sourcePath)
    {
        var d = new T5Config();
        string ffProj = String(root, "feed_forward_proj", d.FeedForwardProj, sourcePath);
        // transformers: "gated-X" or "X"; "gated-gelu" means gelu_new for backward compatibility.
        string[] parts = ffProj.Split('-');
        if (parts.Length > 2 || (parts.Length == 2 && parts[0] != "gated"))
            throw Error(sourcePath, DiagnosticCodes.T5ConfigUnsupported, $"feed_forward_proj '{ffProj}' is not 'gated-ACT' or 'ACT'");
        string act = ffProj == "gated-gelu" ? "gelu_new" : parts[^1];
        bool gated = parts[0] == "gated" && parts.Length == 2;
        // Fields saved explicitly win, as PretrainedConfig sets remaining kwargs after T5Config derives them.
        act = String(root, "dense_act_fn", act, sourcePath);
        gated = Bool(root, "is_gated_act", gated, sourcePath);
        if (!SupportedActivations.Contains(act))
            throw Error(sourcePath, DiagnosticCodes.T5ConfigUnsupported, $"activation '{act}' is not supported (supported: {string.Join(", ", SupportedActivations)})");

        var config = new T5Config
        {
            VocabSize = Positive(root, "vocab_size", d.VocabSize, sourcePath),
            DModel = Positive(root, "d_model", d.DModel, sourcePath),
            DKv = Positive(root, "d_kv", d.DKv, sourcePath),
            DFf = Positive(root, "d_ff", d.DFf, sourcePath),
            NumLayers = Positive(root, "num_layers", d.NumLayers, sourcePath),
            NumHeads = Positive(root, "num_heads", d.NumHeads, sourcePath),
            RelativeAttentionNumBuckets = Positive(root, "relative_attention_num_buckets", d.RelativeAttentionNumBuckets, sourcePath),
            RelativeAttentionMaxDistance = Positive(root, "relative_attention_max_distance", d.RelativeAttentionMaxDistance, sourcePath),
            LayerNormEpsilon = Number(root, "layer_norm_epsilon", d.LayerNormEpsilon, sourcePath),
            FeedForwardProj = ffProj,
            DenseActFn = act,
            IsGatedAct = gated,
            SourcePath = sourcePath,
        };
        // Bidirectional buckets: half per direction, half of those exact, the rest logarithmic up to max_distance.
        if (config.RelativeAttentionNumBuckets < 4)
            throw Error(sourcePath, DiagnosticCodes.T5ConfigBadField, $"relative_attention_num_buckets is {config.RelativeAttentionNumBuckets}; the bidirectional encoder needs at least 4");
        if (config.RelativeAttentionMaxDistance <= config.RelativeAttentionNumBuckets / 4)
            throw Error(sourcePath, DiagnosticCodes.T5ConfigBadField, $"relative_attention_max_distance ({config.RelativeAttentionMaxDistance}) must exceed relative_attention_num_buckets / 4");
        if (config.LayerNormEpsilon < 0)
            throw Error(sourcePath, DiagnosticCodes.T5ConfigBadField, "layer_norm_epsilon must not be negative");
        return config;
    }

    static DiagnosticException Error(string file, string code, string message) =>
        new(Diagnostic.Error(code, file, 0, 0, message));

    static bool TryGet(JsonElement root, string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    static int Positive(JsonElement root, string name, int fallback, string file)
    {
        if (!TryGet(root, name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n <= 0)
            throw Error(file, DiagnosticCodes.T5ConfigBadField, $"T5 config field '{name}' must be a positive integer, found {v.GetRawText()}");
        return n;
    }

    static double Number(JsonElement root, string name, double fallback, string file)
    {
        if (!TryGet(root, name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number)
            throw Error(file, DiagnosticCodes.T5ConfigBadField, $"T5 config field '{name}' must be a number, found {v.GetRawText()}");
        return v.GetDouble();
    }

    static string String(JsonElement root, string name, string fallback, string file)
    {
        if (!TryGet(root, name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.String)
            throw Error(file, DiagnosticCodes.T5ConfigBadField, $"T5 config field '{name}' must be a string, found {v.GetRawText()}");
        return v.GetString()!;
    }

    static bool Bool(JsonElement root, string name, bool fallback, string file)
    {
        if (!TryGet(root, name, out var v)) return fallback;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw Error(file, DiagnosticCodes.T5ConfigBadField, $"T5 config field '{name}' must be true or false, found {v.GetRawText()}");
        return v.GetBoolean();
    }
}
