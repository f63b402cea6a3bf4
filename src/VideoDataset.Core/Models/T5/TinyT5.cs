using System.Text.Json;
using System.Text.Json.Nodes;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// A small T5 v1.1 encoder in the Hugging Face format (config.json, model.safetensors) with
/// random weights from a fixed seed, so the whole pipeline runs anywhere. The weights come from
/// integer arithmetic and IEEE-exact operations only, so every machine writes the same bytes.
/// </summary>
public static class TinyT5
{
    public const ulong Seed = 0x7435_7469_6E79; // "t5tiny"

    public static T5Config Config { get; } = new()
    {
        VocabSize = 1152, DModel = 64, DKv = 16, DFf = 128, NumLayers = 2, NumHeads = 4,
        RelativeAttentionNumBuckets = 32, RelativeAttentionMaxDistance = 128, LayerNormEpsilon = 1e-6,
        FeedForwardProj = "gated-gelu", DenseActFn = "gelu_new", IsGatedAct = true,
    };

    /// <summary>Writes config.json and model.safetensors of the tiny model into <paramref name="dir"/>.</summary>
    public static void Write(string dir) => Write(dir, Config, Seed);

    /// <summary>Writes a model of any config with T5-style initialisation (also used by tests).</summary>
    public static void Write(string dir, T5Config config, ulong seed)
    {
        Directory.CreateDirectory(dir);
        WriteConfig(Path.Combine(dir, "config.json"), config);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), Weights(config, seed));
    }

    public static void WriteConfig(string path, T5Config c)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("T5EncoderModel"),
            ["model_type"] = "t5",
            ["d_model"] = c.DModel,
            ["d_kv"] = c.DKv,
            ["d_ff"] = c.DFf,
            ["num_layers"] = c.NumLayers,
            ["num_heads"] = c.NumHeads,
            ["relative_attention_num_buckets"] = c.RelativeAttentionNumBuckets,
            ["relative_attention_max_distance"] = c.RelativeAttentionMaxDistance,
            ["feed_forward_proj"] = c.FeedForwardProj,
            ["dense_act_fn"] = c.DenseActFn,
            ["is_gated_act"] = c.IsGatedAct,
            ["layer_norm_epsilon"] = c.LayerNormEpsilon,
            ["vocab_size"] = c.VocabSize,
            ["pad_token_id"] = 0,
            ["eos_token_id"] = 1,
            ["torch_dtype"] = "float32",
        };
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>
    /// Every encoder tensor under its Hugging Face name, drawn like transformers' T5 init
    /// (embedding std 1, q std (d_model d_kv)^-1/2, k/v/bias/wi std d_model^-1/2, o std (heads d_kv)^-1/2,
    /// wo std d_ff^-1/2; norm weights near 1 rather than exactly 1 so tests see them applied).
    /// </summary>
    public static IEnumerable<(string Name, TensorData Tensor)> Weights(T5Config c, ulong seed)
    {
        var rng = new SplitMix64(seed);
        long inner = (long)c.NumHeads * c.DKv;
        TensorData Normal(double std, params long[] shape) => Sample(rng, shape, v => std * v);
        TensorData Norm(long n) => Sample(rng, [n], v => 1.0 + 0.1 * v);
        double dm = Math.Sqrt(c.DModel);

        yield return ("shared.weight", Normal(1.0, c.VocabSize, c.DModel));
        for (int i = 0; i < c.NumLayers; i++)
        {
            string p = $"encoder.block.{i}.layer.";
            yield return (p + "0.SelfAttention.q.weight", Normal(1.0 / Math.Sqrt((double)c.DModel * c.DKv), inner, c.DModel));
            yield return (p + "0.SelfAttention.k.weight", Normal(1.0 / dm, inner, c.DModel));
            yield return (p + "0.SelfAttention.v.weight", Normal(1.0 / dm, inner, c.DModel));
            yield return (p + "0.SelfAttention.o.weight", Normal(1.0 / Math.Sqrt(inner), c.DModel, inner));
            if (i == 0)
                yield return (p + "0.SelfAttention.relative_attention_bias.weight", Normal(1.0 / dm, c.RelativeAttentionNumBuckets, c.NumHeads));
            yield return (p + "0.layer_norm.weight", Norm(c.DModel));
            if (c.IsGatedAct)
            {
                yield return (p + "1.DenseReluDense.wi_0.weight", Normal(1.0 / dm, c.DFf, c.DModel));
                yield return (p + "1.DenseReluDense.wi_1.weight", Normal(1.0 / dm, c.DFf, c.DModel));
            }
            else yield return (p + "1.DenseReluDense.wi.weight", Normal(1.0 / dm, c.DFf, c.DModel));
            yield return (p + "1.DenseReluDense.wo.weight", Normal(1.0 / Math.Sqrt(c.DFf), c.DModel, c.DFf));
            yield return (p + "1.layer_norm.weight", Norm(c.DModel));
        }
        yield return ("encoder.final_layer_norm.weight", Norm(c.DModel));
    }

    static TensorData Sample(SplitMix64 rng, long[] shape, Func<double, double> scale)
    {
        var values = new float[TensorData.ElementCount(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)scale(rng.NextStandardish());
        return TensorData.FromFloat32(values, shape, TensorDType.Float32);
    }
}
