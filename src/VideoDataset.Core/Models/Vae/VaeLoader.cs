using TorchSharp;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>Builds the encoder from a diffusers VAE folder (<c>config.json</c> + <c>diffusion_pytorch_model.safetensors</c>).</summary>
public static class VaeLoader
{
    public const string WeightsFileName = "diffusion_pytorch_model.safetensors";
    const string Prefix = "encoder.";

    // Keys of the rest of AutoencoderKLCogVideoX that the encoder does not use.
    static readonly string[] IgnoredPrefixes = { "decoder.", "quant_conv.", "post_quant_conv." };

    /// <summary>
    /// Loads <c>encoder.*</c> weights by name into a new encoder on <paramref name="device"/> computing in
    /// <paramref name="computeType"/>, in eval mode (F16/BF16 weights stay so under float32 compute, upcast where used). The weights are <c>diffusion_pytorch_model.safetensors</c>
    /// or the shards of its <c>.index.json</c>. Errors: VDS4201/VDS4202 (config), those of
    /// <see cref="SafetensorsCheckpoint.Open"/> (no weights, bad index or file), VDS4204 (every missing,
    /// unexpected or mis-shaped key in one message), VDS4205 (a file that cannot be read).
    /// </summary>
    public static CogVideoXEncoder3D LoadEncoder(string vaeDir, Device device, ScalarType computeType)
    {
        var config = VaeConfig.Load(Path.Combine(vaeDir, VaeConfig.FileName));
        SafetensorsCheckpoint weights;
        try { weights = SafetensorsCheckpoint.Open(vaeDir, WeightsFileName); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VaeWeightsUnreadable, Path.GetFullPath(Path.Combine(vaeDir, WeightsFileName)), 0, 0,
                $"cannot read the VAE weights: {e.Message}"));
        }

        // Built on the meta device: no memory and no random initialisation until each weight is read.
        var encoder = new CogVideoXEncoder3D(config, ModelWeights.Meta);
        try
        {
            LoadWeights(encoder, weights, device, computeType);
            encoder.eval();
            return encoder;
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the checkpoint's <c>encoder.*</c> tensors into <paramref name="encoder"/>'s parameters after checking
    /// every key and shape, one tensor at a time, each straight into its final dtype (<see cref="ModelWeights.StorageType"/>)
    /// and device.
    /// </summary>
    internal static void LoadWeights(CogVideoXEncoder3D encoder, SafetensorsCheckpoint weights, Device device, ScalarType computeType)
    {
        var targets = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, parameter) in encoder.named_parameters()) targets.Add(name, parameter.shape);
        var problems = new List<string>();
        foreach (var name in targets.Keys.Order(StringComparer.Ordinal))
        {
            if (!weights.Contains(Prefix + name))
            {
                problems.Add($"missing {Prefix}{name} {Shape(targets[name])}");
                continue;
            }
            long[] shape = weights.Entry(Prefix + name).Shape;
            if (!shape.SequenceEqual(targets[name]))
                problems.Add($"{Prefix}{name} has shape {Shape(shape)}, expected {Shape(targets[name])}");
        }
        foreach (var key in weights.Names.Order(StringComparer.Ordinal))
        {
            if (IgnoredPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            if (!key.StartsWith(Prefix, StringComparison.Ordinal) || !targets.ContainsKey(key[Prefix.Length..]))
                problems.Add($"unexpected {key}");
        }
        if (problems.Count > 0)
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VaeWeightsMismatch, weights.Files[0], 0, 0,
                $"the weights do not fit the encoder of config.json ({problems.Count} problem(s)): {string.Join("; ", problems)}"));

        using var noGrad = no_grad();
        using var map = WeightFileMap.For(weights.Locate);
        var modules = ModelWeights.ModulesByName(encoder);
        foreach (var name in targets.Keys)
        {
            var entry = weights.Entry(Prefix + name);
            Tensor value;
            try { value = ModelWeights.Read(entry, weights.ReadInto, ModelWeights.StorageType(entry.DType, computeType), device, map); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VaeWeightsUnreadable, weights.Files[0], 0, 0, $"cannot read tensor {Prefix}{name}: {e.Message}"));
            }
            ModelWeights.Assign(modules, name, value);
        }
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
