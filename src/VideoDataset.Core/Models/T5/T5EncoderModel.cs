using TorchSharp;
using TorchSharp.Modules;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// Hugging Face <c>T5EncoderModel</c>: the <c>shared</c> token embedding and the <c>encoder</c>
/// stack, with parameters named as the checkpoint keys (<c>encoder.block.0.layer.0.SelfAttention.q.weight</c>, …).
/// </summary>
public sealed class T5EncoderModel : nn.Module<Tensor, Tensor>
{
    readonly Embedding shared;
    readonly T5Stack encoder;

    public T5Config Config { get; }

    public T5EncoderModel(T5Config config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5EncoderModel))
    {
        Config = config;
        shared = ModelWeights.Embedding(config.VocabSize, config.DModel, device, dtype);
        encoder = new T5Stack(config, shared, device, dtype);
        register_module(nameof(shared), shared);
        register_module(nameof(encoder), encoder);
        foreach (var p in parameters()) p.requires_grad = false;
        eval();
    }

    /// <summary>input ids [batch, length] (int64) to last_hidden_state [batch, length, d_model] in the compute dtype.</summary>
    public override Tensor forward(Tensor inputIds) => encoder.forward(inputIds);

    /// <summary>
    /// Reads <c>config.json</c> and the weights (<c>model.safetensors</c> or shards) of
    /// <paramref name="t5Dir"/> and builds the encoder on <paramref name="device"/>, computing in
    /// <paramref name="computeType"/>. Weights are read one at a time straight into their parameters;
    /// F16/BF16 weights stay in that dtype under float32 compute (upcast where used, exactly), otherwise
    /// they are converted to <paramref name="computeType"/> as they are read.
    /// </summary>
    public static T5EncoderModel Load(string t5Dir, Device device, ScalarType computeType)
    {
        var config = T5Config.Load(Path.Combine(t5Dir, "config.json"));
        return Load(config, T5Checkpoint.Open(t5Dir), device, computeType);
    }

    public static T5EncoderModel Load(T5Config config, T5Checkpoint checkpoint, Device device, ScalarType computeType)
    {
        // Built on the meta device: no memory and no random initialisation until each weight is read.
        var model = new T5EncoderModel(config, ModelWeights.Meta, computeType);
        try
        {
            model.LoadWeights(checkpoint, device, computeType);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The checkpoint key each parameter is read from: its own name, except that the embedding
    /// falls back to its tied duplicate <c>encoder.embed_tokens.weight</c>.
    /// </summary>
    static string? SourceKey(string parameter, T5Checkpoint checkpoint)
    {
        if (checkpoint.Entries.ContainsKey(parameter)) return parameter;
        if (parameter == "shared.weight" && checkpoint.Entries.ContainsKey(TiedEmbeddingKey)) return TiedEmbeddingKey;
        return null;
    }

    const string TiedEmbeddingKey = "encoder.embed_tokens.weight";

    /// <summary>Keys an encoder checkpoint may carry that the encoder does not use.</summary>
    static bool IsIgnored(string key) =>
        key.StartsWith("decoder.", StringComparison.Ordinal) || key.StartsWith("lm_head.", StringComparison.Ordinal) || key == TiedEmbeddingKey;

    void LoadWeights(T5Checkpoint checkpoint, Device device, ScalarType computeType)
    {
        var parameters = named_parameters().ToList();
        var missing = new List<string>();
        var misshaped = new List<string>();
        var sources = new List<(string Name, string Key)>();
        foreach (var (name, param) in parameters)
        {
            string? key = SourceKey(name, checkpoint);
            if (key is null) { missing.Add(name); continue; }
            long[] fileShape = checkpoint.Entries[key].Shape;
            if (!fileShape.SequenceEqual(param.shape))
                misshaped.Add($"{key} is [{string.Join(", ", fileShape)}], expected [{string.Join(", ", param.shape)}]");
            else sources.Add((name, key));
        }
        var names = parameters.Select(p => p.name).ToHashSet();
        var unexpected = checkpoint.Entries.Keys.Where(k => !names.Contains(k) && !IsIgnored(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count + misshaped.Count + unexpected.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing: {string.Join(", ", missing)}");
            if (misshaped.Count > 0) parts.Add($"wrong shape: {string.Join("; ", misshaped)}");
            if (unexpected.Count > 0) parts.Add($"unexpected: {string.Join(", ", unexpected)}");
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.T5WeightsMismatch, checkpoint.Path, 0, 0,
                $"T5 encoder weights do not match {DescribeConfig()}: {string.Join("; ", parts)}"));
        }
        using var noGrad = torch.no_grad();
        using var map = checkpoint.Locate is { } locate ? WeightFileMap.For(locate) : null;
        var modules = ModelWeights.ModulesByName(this);
        foreach (var (name, key) in sources)
        {
            var entry = checkpoint.Entries[key];
            ModelWeights.Assign(modules, name, ModelWeights.Read(entry with { Name = key }, checkpoint.ReadInto, ModelWeights.StorageType(entry.DType, computeType), device, map));
        }
    }

    string DescribeConfig()
    {
        var c = Config;
        string where = c.SourcePath.Length > 0 ? c.SourcePath : "the config";
        return $"{where} (num_layers {c.NumLayers}, d_model {c.DModel}, num_heads {c.NumHeads}, d_kv {c.DKv}, d_ff {c.DFf}, vocab_size {c.VocabSize}, {(c.IsGatedAct ? "gated" : "non-gated")} {c.DenseActFn})";
    }
}
