using System.Text.Json;
using TorchSharp;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Support;

/// <summary>
/// Model folders with the exact configs, key sets, dtypes and file layouts of what users load (T5 v1.1 XXL as
/// CogVideoX ships it, CogVideoX-5b's VAE) and random weights, since no real weights can be downloaded here.
/// Each tensor is made only when it is written, so even the 9.5 GB XXL needs one tensor of memory.
/// Shared by the tests and the loading benchmark (bench/LoadBench links this file).
/// </summary>
static class RealSizeModels
{
    /// <summary>google/t5-v1_1-xxl's config.json: no relative_attention_max_distance, dense_act_fn or is_gated_act.</summary>
    public static string T5XxlConfigJson(int layers) => $$"""
        {
          "architectures": ["T5ForConditionalGeneration"],
          "d_ff": 10240,
          "d_kv": 64,
          "d_model": 4096,
          "decoder_start_token_id": 0,
          "dropout_rate": 0.1,
          "eos_token_id": 1,
          "feed_forward_proj": "gated-gelu",
          "initializer_factor": 1.0,
          "is_encoder_decoder": true,
          "layer_norm_epsilon": 1e-06,
          "model_type": "t5",
          "num_decoder_layers": {{layers}},
          "num_heads": 64,
          "num_layers": {{layers}},
          "output_past": true,
          "pad_token_id": 0,
          "relative_attention_num_buckets": 32,
          "tie_word_embeddings": false,
          "vocab_size": 32128
        }
        """;

    /// <summary>
    /// T5 v1.1 XXL with <paramref name="layers"/> layers in BF16, in two shards and an index as the real checkpoint
    /// (<c>shared.weight</c> and an equal <c>encoder.embed_tokens.weight</c>, then the first half of the blocks;
    /// the rest and the final norm). Uniform random values with T5's initialisation scales.
    /// </summary>
    public static void WriteT5Xxl(string dir, int layers, ulong seed = 20241)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), T5XxlConfigJson(layers));
        const long d = 4096, ff = 10240, heads = 64, dKv = 64, vocab = 32128, buckets = 32;
        long inner = heads * dKv;
        var std = new Dictionary<string, (long[] Shape, double Std, double Mean)>(StringComparer.Ordinal);
        var first = new List<string> { "shared.weight", "encoder.embed_tokens.weight" };
        var second = new List<string>();
        std["shared.weight"] = std["encoder.embed_tokens.weight"] = ([vocab, d], 1.0, 0);
        for (int i = 0; i < layers; i++)
        {
            var shard = i < Math.Max(1, layers / 2) ? first : second;
            string p = $"encoder.block.{i}.layer.";
            void Add(string name, long[] shape, double s, double mean = 0) { std[p + name] = (shape, s, mean); shard.Add(p + name); }
            Add("0.SelfAttention.q.weight", [inner, d], 1.0 / Math.Sqrt(d * dKv));
            Add("0.SelfAttention.k.weight", [inner, d], 1.0 / Math.Sqrt(d));
            Add("0.SelfAttention.v.weight", [inner, d], 1.0 / Math.Sqrt(d));
            Add("0.SelfAttention.o.weight", [d, inner], 1.0 / Math.Sqrt(inner));
            if (i == 0) Add("0.SelfAttention.relative_attention_bias.weight", [buckets, heads], 1.0 / Math.Sqrt(d));
            Add("0.layer_norm.weight", [d], 0.1, 1);
            Add("1.DenseReluDense.wi_0.weight", [ff, d], 1.0 / Math.Sqrt(d));
            Add("1.DenseReluDense.wi_1.weight", [ff, d], 1.0 / Math.Sqrt(d));
            Add("1.DenseReluDense.wo.weight", [d, ff], 1.0 / Math.Sqrt(ff));
            Add("1.layer_norm.weight", [d], 0.1, 1);
        }
        std["encoder.final_layer_norm.weight"] = ([d], 0.1, 1);
        second.Add("encoder.final_layer_norm.weight");

        using var generator = new Generator(seed);
        TensorData? embedding = null;
        TensorData Make(string name)
        {
            if (name == "encoder.embed_tokens.weight" && embedding is not null) { var e = embedding; embedding = null; return e; }
            var (shape, s, mean) = std[name];
            var t = Uniform(generator, shape, s, mean, TensorDType.BFloat16);
            if (name == "shared.weight") embedding = t;
            return t;
        }
        WriteShards(dir, "model", [first, second], name => (TensorDType.BFloat16, std[name].Shape), Make);
    }

    /// <summary>
    /// CogVideoX-5b's VAE: its config.json and every key of AutoencoderKLCogVideoX (encoder and decoder, about
    /// 215M parameters) in BF16, in one file. Norm weights 1 ± 0.1, biases small, conv weights uniform in
    /// ±1/sqrt(fan_in).
    /// </summary>
    public static void WriteCogVideoX5bVae(string dir, ulong seed = 5)
    {
        Directory.CreateDirectory(dir);
        var config = CogVideoX5bVaeConfig;
        TinyVae.WriteConfig(dir, config);
        var layout = TinyVae.EncoderShapes(config).Select(k => ("encoder." + k.Name, k.Shape)).Concat(DecoderShapes(config)).ToList();
        var shapes = layout.ToDictionary(k => k.Item1, k => k.Item2, StringComparer.Ordinal);
        using var generator = new Generator(seed);
        SafetensorsFile.Write(Path.Combine(dir, VaeLoader.WeightsFileName),
            layout.Select(k => (k.Item1, TensorDType.BFloat16, k.Item2)).ToList(),
            name =>
            {
                long[] shape = shapes[name];
                bool bias = name.EndsWith(".bias", StringComparison.Ordinal);
                if (name.Contains("norm") && !name.Contains(".conv")) return Uniform(generator, shape, 0.1 / Math.Sqrt(3), bias ? 0 : 1, TensorDType.BFloat16);
                long fanIn = TensorData.ElementCount(shape) / shape[0];
                double bound = bias ? 0.1 / Math.Sqrt(shape[0]) : 1.0 / Math.Sqrt(fanIn);
                return Uniform(generator, shape, bound / Math.Sqrt(3), 0, TensorDType.BFloat16);
            });
    }

    public static VaeConfig CogVideoX5bVaeConfig { get; } = new()
    {
        BlockOutChannels = [128, 256, 256, 512], LayersPerBlock = 3, LatentChannels = 16, NormNumGroups = 32,
        NormEps = 1e-6, TemporalCompressionRatio = 4,
    };

    /// <summary>
    /// diffusers' CogVideoXDecoder3D keys: conv_in, a mid block and up blocks (layers_per_block + 1 resnets each,
    /// the last without upsampler) whose norms are spatial norms conditioned on the latent, norm_out, conv_out.
    /// </summary>
    public static IEnumerable<(string Name, long[] Shape)> DecoderShapes(VaeConfig c)
    {
        long z = c.LatentChannels;
        var widths = c.BlockOutChannels.Reverse().Select(w => (long)w).ToArray();
        IEnumerable<(string, long[])> Causal(string name, long cin, long cout, long k = 3)
        {
            yield return ($"{name}.conv.weight", [cout, cin, k, k, k]);
            yield return ($"{name}.conv.bias", [cout]);
        }
        IEnumerable<(string, long[])> SpatialNorm(string name, long f)
        {
            yield return ($"{name}.norm_layer.weight", [f]);
            yield return ($"{name}.norm_layer.bias", [f]);
            foreach (var k in Causal($"{name}.conv_y", z, f, 1)) yield return k;
            foreach (var k in Causal($"{name}.conv_b", z, f, 1)) yield return k;
        }
        IEnumerable<(string, long[])> Resnet(string name, long cin, long cout)
        {
            foreach (var k in SpatialNorm($"{name}.norm1", cin)) yield return k;
            foreach (var k in Causal($"{name}.conv1", cin, cout)) yield return k;
            foreach (var k in SpatialNorm($"{name}.norm2", cout)) yield return k;
            foreach (var k in Causal($"{name}.conv2", cout, cout)) yield return k;
            if (cin != cout)
            {
                yield return ($"{name}.conv_shortcut.weight", [cout, cin, 1, 1, 1]);
                yield return ($"{name}.conv_shortcut.bias", [cout]);
            }
        }
        IEnumerable<(string, long[])> All()
        {
            foreach (var k in Causal("conv_in", z, widths[0])) yield return k;
            for (int j = 0; j < 2; j++) foreach (var k in Resnet($"mid_block.resnets.{j}", widths[0], widths[0])) yield return k;
            long previous = widths[0];
            for (int i = 0; i < widths.Length; i++)
            {
                for (int j = 0; j < c.LayersPerBlock + 1; j++)
                    foreach (var k in Resnet($"up_blocks.{i}.resnets.{j}", j == 0 ? previous : widths[i], widths[i])) yield return k;
                if (i != widths.Length - 1)
                {
                    yield return ($"up_blocks.{i}.upsamplers.0.conv.weight", [widths[i], widths[i], 3, 3]);
                    yield return ($"up_blocks.{i}.upsamplers.0.conv.bias", [widths[i]]);
                }
                previous = widths[i];
            }
            foreach (var k in SpatialNorm("norm_out", widths[^1])) yield return k;
            foreach (var k in Causal("conv_out", widths[^1], c.InChannels)) yield return k;
        }
        return All().Select(k => ("decoder." + k.Item1, k.Item2));
    }

    /// <summary>Uniform values with standard deviation <paramref name="std"/> around <paramref name="mean"/>.</summary>
    public static TensorData Uniform(Generator generator, long[] shape, double std, double mean, TensorDType dtype)
    {
        using var scope = NewDisposeScope();
        double bound = std * Math.Sqrt(3);
        var t = rand(shape, generator: generator).mul_(2 * bound).add_(mean - bound);
        return TorchConvert.FromTorch(t, dtype);
    }

    /// <summary>A copy of a checkpoint's tensors with every value converted to <paramref name="dtype"/> (rounded to nearest even).</summary>
    public static List<(string Name, TensorData Tensor)> Converted(IEnumerable<(string Name, TensorData Tensor)> tensors, TensorDType dtype) =>
        tensors.Select(t => (t.Name, TensorData.FromFloat32(t.Tensor.ToFloat32(), t.Tensor.Shape, dtype))).ToList();

    /// <summary>Shards <c>{baseName}-0000i-of-0000n.safetensors</c> and <c>{baseName}.safetensors.index.json</c>, one tensor in memory at a time.</summary>
    public static void WriteShards(string dir, string baseName, IReadOnlyList<IReadOnlyList<string>> shards,
        Func<string, (TensorDType DType, long[] Shape)> layout, Func<string, TensorData> make)
    {
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"{baseName}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            var entries = shards[i].Select(n => (n, layout(n).DType, layout(n).Shape)).ToList();
            SafetensorsFile.Write(Path.Combine(dir, file), entries, make);
            foreach (var (name, dtype, shape) in entries) { weightMap.Add(name, file); total += TensorData.ElementCount(shape) * TensorData.ElementSize(dtype); }
        }
        File.WriteAllText(Path.Combine(dir, baseName + ".safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = total }, weight_map = weightMap }));
    }
}
