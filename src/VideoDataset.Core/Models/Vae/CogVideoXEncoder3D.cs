using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// diffusers <c>CogVideoXEncoder3D</c>: <c>conv_in</c>, <c>down_blocks</c>, <c>mid_block</c>,
/// <c>norm_out</c>, SiLU, <c>conv_out</c>. Its submodules carry the causal convolution caches between
/// calls of <see cref="forward"/>, one call per temporal chunk; <see cref="Encode"/> runs a whole
/// video in the chunks of DESIGN §4.
/// </summary>
public sealed class CogVideoXEncoder3D : nn.Module<Tensor, Tensor>
{
    readonly CogVideoXCausalConv3d conv_in;
    readonly ModuleList<CogVideoXDownBlock3D> down_blocks;
    readonly CogVideoXMidBlock3D mid_block;
    readonly GroupNorm norm_out;
    readonly CogVideoXCausalConv3d conv_out;

    public VaeConfig Config { get; }

    /// <param name="device">Where the parameters are made; <see cref="ModelWeights.Meta"/> for a model whose weights are read next.</param>
    public CogVideoXEncoder3D(VaeConfig config, Device? device = null) : base(nameof(CogVideoXEncoder3D))
    {
        Config = config;
        var widths = config.BlockOutChannels;
        conv_in = new CogVideoXCausalConv3d(config.InChannels, widths[0], device: device);
        var blocks = new List<CogVideoXDownBlock3D>();
        for (int i = 0; i < widths.Count; i++)
        {
            long input = i == 0 ? widths[0] : widths[i - 1];
            blocks.Add(new CogVideoXDownBlock3D(input, widths[i], config.LayersPerBlock, config.NormNumGroups, config.NormEps,
                addDownsample: i != widths.Count - 1, compressTime: i < config.TemporalCompressLevel, device));
        }
        down_blocks = nn.ModuleList(blocks.ToArray());
        mid_block = new CogVideoXMidBlock3D(widths[^1], 2, config.NormNumGroups, config.NormEps, device);
        norm_out = CogVideoXResnetBlock3D.NewGroupNorm(config.NormNumGroups, widths[^1], 1e-6, device); // diffusers fixes this eps, whatever norm_eps says
        conv_out = new CogVideoXCausalConv3d(widths[^1], 2L * config.LatentChannels, device: device);
        RegisterComponents();
    }

    /// <summary>Encodes one chunk [B, C, T, H, W] continuing the previous chunk (see <see cref="ResetCache"/>).</summary>
    public override Tensor forward(Tensor chunk)
    {
        // Each activation is freed as soon as the next block's first ResNet block is done with it: at 720x480
        // conv_in's output alone is gigabytes.
        var h = conv_in.forward(chunk);
        foreach (var block in down_blocks) h = block.Forward(h, consumeInput: true);
        h = mid_block.Forward(h, consumeInput: true);
        h = Replace(h, ModelWeights.Norm(norm_out, h)).silu_();
        return conv_out.Forward(h, consumeInput: true);
    }

    // Frees the previous activation as soon as the next one exists.
    static Tensor Replace(Tensor previous, Tensor next) { previous.Dispose(); return next; }

    /// <summary>Starts a new video: every causal convolution pads with its first frame again.</summary>
    public void ResetCache()
    {
        foreach (var m in modules())
            if (m is CogVideoXCausalConv3d conv) conv.ResetCache();
    }

    /// <summary>
    /// The chunks of DESIGN §4 for <paramref name="frames"/> frames: [0, w+1), then [w*i+1, w*(i+1)+1),
    /// the last one cut at the end. Each chunk but the first must hold a multiple of the temporal
    /// compression ratio so that time downsampling never straddles two chunks.
    /// </summary>
    public static IReadOnlyList<(int Start, int Count)> PlanChunks(int frames, int chunkFrames, int temporalRatio)
    {
        if (chunkFrames <= 0 || chunkFrames % temporalRatio != 0)
            throw new ArgumentException($"chunk length {chunkFrames} must be a positive multiple of the temporal compression ratio {temporalRatio}", nameof(chunkFrames));
        if (frames < 1 || (frames - 1) % temporalRatio != 0)
            throw new ArgumentException($"{frames} frames: the causal VAE needs 1 + a multiple of {temporalRatio} frames", nameof(frames));
        var chunks = new List<(int, int)> { (0, Math.Min(frames, chunkFrames + 1)) };
        for (int start = chunkFrames + 1; start < frames; start += chunkFrames)
            chunks.Add((start, Math.Min(chunkFrames, frames - start)));
        return chunks;
    }

    /// <summary>
    /// Encodes a whole in-memory video [1, C, T, H, W] chunk by chunk; returns [1, 2*latent, T_lat, H/8, W/8].
    /// Streaming callers use <see cref="ResetCache"/> and <see cref="forward"/> directly.
    /// </summary>
    public Tensor Encode(Tensor video, int chunkFrames)
    {
        using var noGrad = no_grad();
        ResetCache();
        var outputs = new List<Tensor>();
        try
        {
            foreach (var (start, count) in PlanChunks((int)video.shape[2], chunkFrames, (int)Config.TemporalCompressionRatio))
            {
                using var chunk = video.narrow(2, start, count);
                outputs.Add(forward(chunk));
            }
            return cat(outputs, 2);
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
            ResetCache();
        }
    }
}
