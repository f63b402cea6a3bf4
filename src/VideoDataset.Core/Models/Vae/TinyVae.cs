using System.Text.Json;
using VideoDataset.Core.IO;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// A small CogVideoX VAE folder in the real formats (diffusers <c>config.json</c> + safetensors) with
/// deterministic random weights, so the pipeline runs anywhere and every machine writes the same bytes.
/// Only the encoder's keys are complete; a few decoder keys are there to be ignored like the real ones.
/// </summary>
public static class TinyVae
{
    public static readonly VaeConfig Config = new()
    {
        BlockOutChannels = new[] { 32, 32, 64, 64 },
        LayersPerBlock = 1,
        LatentChannels = 16,
        NormNumGroups = 8,
        NormEps = 1e-6,
        TemporalCompressionRatio = 4,
    };

    const ulong Seed = 0x5EED_C06_0001UL;

    /// <summary>Writes <c>config.json</c> and <c>diffusion_pytorch_model.safetensors</c> into <paramref name="dir"/> (created if needed).</summary>
    public static void Write(string dir) => Write(dir, Config);

    /// <summary>The same deterministic initialisation for any encoder config (the benchmarks' larger models).</summary>
    public static void Write(string dir, VaeConfig config)
    {
        WriteConfig(dir, config);
        var rng = new SplitMix64(Seed);
        var tensors = EncoderShapes(config)
            .Select(k => ("encoder." + k.Name, k.Shape))
            .Concat(DecoderSample(config))
            .Select(k => (k.Item1, Generate(k.Item1, k.Item2, rng)))
            .ToList();
        SafetensorsFile.Write(Path.Combine(dir, VaeLoader.WeightsFileName), tensors);
    }

    /// <summary>Writes a diffusers <c>config.json</c> for <paramref name="config"/> into <paramref name="dir"/> (created if needed).</summary>
    public static void WriteConfig(string dir, VaeConfig config)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(Path.Combine(dir, VaeConfig.FileName), ConfigJson(config));
    }

    /// <summary>
    /// The encoder's parameter names and shapes for <paramref name="c"/>, in diffusers' order, written out
    /// from the architecture (not from the TorchSharp modules, so the loader tests check one against the other).
    /// </summary>
    public static IEnumerable<(string Name, long[] Shape)> EncoderShapes(VaeConfig c)
    {
        var w = c.BlockOutChannels;
        foreach (var k in CausalConv("conv_in", c.InChannels, w[0])) yield return k;
        for (int i = 0; i < w.Count; i++)
        {
            int input = i == 0 ? w[0] : w[i - 1];
            for (int j = 0; j < c.LayersPerBlock; j++)
                foreach (var k in Resnet($"down_blocks.{i}.resnets.{j}", j == 0 ? input : w[i], w[i], c)) yield return k;
            if (i != w.Count - 1)
            {
                yield return ($"down_blocks.{i}.downsamplers.0.conv.weight", new long[] { w[i], w[i], 3, 3 });
                yield return ($"down_blocks.{i}.downsamplers.0.conv.bias", new long[] { w[i] });
            }
        }
        for (int j = 0; j < 2; j++)
            foreach (var k in Resnet($"mid_block.resnets.{j}", w[^1], w[^1], c)) yield return k;
        yield return ("norm_out.weight", new long[] { w[^1] });
        yield return ("norm_out.bias", new long[] { w[^1] });
        foreach (var k in CausalConv("conv_out", w[^1], 2 * c.LatentChannels)) yield return k;
    }

    static IEnumerable<(string, long[])> CausalConv(string name, int cin, int cout)
    {
        yield return ($"{name}.conv.weight", new long[] { cout, cin, 3, 3, 3 });
        yield return ($"{name}.conv.bias", new long[] { cout });
    }

    static IEnumerable<(string, long[])> Resnet(string name, int cin, int cout, VaeConfig c)
    {
        yield return ($"{name}.norm1.weight", new long[] { cin });
        yield return ($"{name}.norm1.bias", new long[] { cin });
        foreach (var k in CausalConv($"{name}.conv1", cin, cout)) yield return k;
        yield return ($"{name}.norm2.weight", new long[] { cout });
        yield return ($"{name}.norm2.bias", new long[] { cout });
        foreach (var k in CausalConv($"{name}.conv2", cout, cout)) yield return k;
        if (cin != cout)
        {
            yield return ($"{name}.conv_shortcut.weight", new long[] { cout, cin, 1, 1, 1 });
            yield return ($"{name}.conv_shortcut.bias", new long[] { cout });
        }
    }

    // A few real decoder keys: the loader must skip them.
    static IEnumerable<(string, long[])> DecoderSample(VaeConfig c)
    {
        foreach (var (n, s) in CausalConv("decoder.conv_in", c.LatentChannels, c.BlockOutChannels[^1])) yield return (n, s);
        yield return ("decoder.norm_out.norm_layer.weight", new long[] { c.BlockOutChannels[0] });
        yield return ("decoder.norm_out.norm_layer.bias", new long[] { c.BlockOutChannels[0] });
    }

    /// <summary>
    /// Norm weights 1 + noise/10 and biases noise/10; conv weights uniform in ±1/sqrt(fan_in), biases a
    /// tenth of that. All arithmetic is IEEE float, exact on every machine.
    /// </summary>
    static TensorData Generate(string name, long[] shape, SplitMix64 rng)
    {
        long count = TensorData.ElementCount(shape);
        var values = new float[count];
        bool isNorm = name.Contains("norm");
        bool isBias = name.EndsWith(".bias", StringComparison.Ordinal);
        float scale;
        float offset = 0f;
        if (isNorm) { scale = 0.1f; offset = isBias ? 0f : 1f; }
        else
        {
            // Bias fan-in: the conv it belongs to, which TinyVae can't see from the bias shape; 0.1/sqrt(cout) is small enough.
            long fanIn = isBias ? shape[0] : count / shape[0];
            scale = (float)(1.0 / Math.Sqrt(fanIn)) * (isBias ? 0.1f : 1f);
        }
        for (long i = 0; i < count; i++) values[i] = offset + scale * rng.NextSymmetric();
        return TensorData.FromFloat32(values, shape, TensorDType.Float32);
    }

    static byte[] ConfigJson(VaeConfig c)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            j.WriteStartObject();
            j.WriteString("_class_name", "AutoencoderKLCogVideoX");
            j.WriteString("_diffusers_version", "0.32.0");
            j.WriteString("_comment", "VideoDataset tiny VAE: deterministic random weights for tests and samples");
            j.WriteString("act_fn", c.ActFn);
            WriteArray(j, "block_out_channels", c.BlockOutChannels);
            j.WriteStartArray("down_block_types");
            foreach (var t in c.DownBlockTypes) j.WriteStringValue(t);
            j.WriteEndArray();
            j.WriteBoolean("force_upcast", true);
            j.WriteNumber("in_channels", c.InChannels);
            j.WriteNumber("latent_channels", c.LatentChannels);
            j.WriteNumber("layers_per_block", c.LayersPerBlock);
            j.WriteNumber("norm_eps", c.NormEps);
            j.WriteNumber("norm_num_groups", c.NormNumGroups);
            j.WriteNumber("out_channels", 3);
            j.WriteNumber("sample_height", 80);
            j.WriteNumber("sample_width", 128);
            j.WriteNumber("scaling_factor", 1.15258426);
            j.WriteNumber("temporal_compression_ratio", c.TemporalCompressionRatio);
            j.WriteStartArray("up_block_types");
            foreach (var _ in c.DownBlockTypes) j.WriteStringValue("CogVideoXUpBlock3D");
            j.WriteEndArray();
            j.WriteBoolean("use_post_quant_conv", false);
            j.WriteBoolean("use_quant_conv", false);
            j.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    static void WriteArray(Utf8JsonWriter j, string name, IEnumerable<int> values)
    {
        j.WriteStartArray(name);
        foreach (var v in values) j.WriteNumberValue(v);
        j.WriteEndArray();
    }
}
