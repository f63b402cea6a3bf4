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
        // Each intermediate is freed as soon as the next exists (at 720x480 one is gigabytes). Where the convolutions
        // run in bands (CPU, large activations) they write into their input and norm2 normalises in place, so the
        // block holds its input (for the residual) and one working tensor: norm1's output, which conv1, norm2 and
        // conv2 overwrite in turn and the input is added to.
        var h = conv1.Forward(ModelWeights.Norm(norm1, input).silu_(), consumeInput: true);
        var normed = NormConsuming(norm2, h).silu_();
        var y = conv2.Forward(normed, consumeInput: true);
        if (conv_shortcut is null) return y.add_(input);
        using var shortcut = ModelWeights.Conv(conv_shortcut, input);
        return y.add_(shortcut);
    }

    /// <summary>
    /// <paramref name="resnets"/> in turn, each intermediate disposed once the next exists, and
    /// <paramref name="input"/> too (when handed over) as soon as the first block is done with it.
    /// </summary>
    internal static Tensor Chain(IEnumerable<CogVideoXResnetBlock3D> resnets, Tensor input, bool consumeInput)
    {
        Tensor? h = null;
        foreach (var resnet in resnets)
        {
            var next = resnet.forward(h ?? input);
            if (h is not null) h.Dispose();
            else if (consumeInput) input.Dispose();
            h = next;
        }
        return h ?? throw new InvalidOperationException("a block without ResNet blocks");
    }

    /// <summary>How many GroupNorms so far ran in place (for the tests).</summary>
    internal static long NormsInPlace => Interlocked.Read(ref _normsInPlace);
    static long _normsInPlace;

    /// <summary>
    /// <paramref name="norm"/> of <paramref name="input"/>, which the caller hands over. On the CPU, an input as large
    /// as the convolutions' band threshold is normalised in place, a few whole groups at a time: PyTorch's CPU kernel
    /// computes each (sample, group) on its own (its moments, then scale and shift per channel), so a slice of whole
    /// groups gets the bits of one call (<c>VaeBlockTests</c>, <c>VaeRealSizeTests</c>). CUDA keeps one call.
    /// </summary>
    internal static Tensor NormConsuming(GroupNorm norm, Tensor input)
    {
        if (input.device_type != DeviceType.CPU || input.NumberOfElements * input.ElementSize <= CogVideoXCausalConv3d.BandAboveBytes
            || input.shape[1] % norm.num_groups != 0)
        {
            using (input) return ModelWeights.Norm(norm, input);
        }
        Interlocked.Increment(ref _normsInPlace);
        long groupChannels = input.shape[1] / norm.num_groups;
        long groupBytes = input.NumberOfElements / input.shape[1] * groupChannels * input.ElementSize;
        long groupsPerSlice = Math.Clamp(CogVideoXCausalConv3d.BandBytes / groupBytes, 1, norm.num_groups);
        using var weight = norm.weight is { } w ? ModelWeights.Use(w, input.dtype) : null;
        using var bias = norm.bias is { } b ? ModelWeights.Use(b, input.dtype) : null;
        for (long g0 = 0; g0 < norm.num_groups; g0 += groupsPerSlice)
        {
            long groups = Math.Min(groupsPerSlice, norm.num_groups - g0), c0 = g0 * groupChannels, channels = groups * groupChannels;
            using var slice = input.narrow(1, c0, channels);
            using var sliceWeight = weight?.narrow(0, c0, channels);
            using var sliceBias = bias?.narrow(0, c0, channels);
            using var normalised = nn.functional.group_norm(slice, groups, sliceWeight, sliceBias, norm.eps);
            slice.copy_(normalised);
        }
        return input;
    }
}
