using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// diffusers <c>CogVideoXResnetBlock3D</c> as the encoder builds it (no time embedding, no spatial
/// norm): GroupNorm, SiLU, causal conv, twice, plus the input, through a 1x1x1 convolution
/// (<c>conv_shortcut</c>) when the widths differ.
/// </summary>
public sealed class CogVideoXResnetBlock3D : nn.Module<Tensor, Tensor>
{
    readonly GroupNorm norm1;
    readonly CogVideoXCausalConv3d conv1;
    readonly GroupNorm norm2;
    readonly CogVideoXCausalConv3d conv2;
    readonly Conv3d? conv_shortcut;

    public CogVideoXResnetBlock3D(long inChannels, long outChannels, long groups, double eps, Device? device = null) : base(nameof(CogVideoXResnetBlock3D))
    {
        norm1 = NewGroupNorm(groups, inChannels, eps, device);
        conv1 = new CogVideoXCausalConv3d(inChannels, outChannels, device: device);
        norm2 = NewGroupNorm(groups, outChannels, eps, device);
        conv2 = new CogVideoXCausalConv3d(outChannels, outChannels, device: device);
        if (inChannels != outChannels)
            conv_shortcut = nn.Conv3d(inChannels, outChannels, 1, device: device);
        RegisterComponents();
    }

    /// <summary>
    /// GroupNorm with PyTorch's initial weight 1 and bias 0 (TorchSharp 0.107 leaves them uninitialised;
    /// loaded weights overwrite them, but a fresh module must compute something sane).
    /// </summary>
    internal static GroupNorm NewGroupNorm(long groups, long channels, double eps, Device? device = null)
    {
        var norm = nn.GroupNorm(groups, channels, eps, device: device);
        using var noGrad = no_grad();
        norm.weight!.fill_(1f);
        norm.bias!.zero_();
        return norm;
    }

    public override Tensor forward(Tensor input)
    {
        // Each intermediate is freed as soon as the next exists (at 720x480 one is gigabytes): the peak
        // is the input, one normalised copy and its time-padded copy.
        var h = conv1.Forward(ModelWeights.Norm(norm1, input).silu_(), consumeInput: true);
        Tensor normed;
        using (h) normed = ModelWeights.Norm(norm2, h).silu_();
        var y = conv2.Forward(normed, consumeInput: true);
        if (conv_shortcut is null) return y.add_(input);
        using var shortcut = ModelWeights.Conv(conv_shortcut, input);
        return y.add_(shortcut);
    }
}
