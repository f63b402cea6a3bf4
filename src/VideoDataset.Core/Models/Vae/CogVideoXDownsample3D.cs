using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// diffusers <c>CogVideoXDownsample3D</c>. With <c>compressTime</c> it first halves time: an odd frame
/// count keeps the first frame alone and averages the rest in pairs, an even one averages all in
/// pairs. Then every frame is padded by one zero row and column (bottom, right) and goes through a
/// 3x3 stride-2 2D convolution (<c>conv.weight</c> is 4-D in the checkpoint).
/// </summary>
public sealed class CogVideoXDownsample3D : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly bool _compressTime;

    public CogVideoXDownsample3D(long inChannels, long outChannels, bool compressTime, Device? device = null) : base(nameof(CogVideoXDownsample3D))
    {
        conv = nn.Conv2d(inChannels, outChannels, kernel_size: 3L, stride: 2L, padding: 0L, device: device);
        _compressTime = compressTime;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, consumeInput: false);

    /// <summary>
    /// <see cref="forward"/>, disposing <paramref name="input"/> once it is halved in time (or padded), and each
    /// intermediate once the next exists: at full resolution each is a large part of an activation.
    /// </summary>
    internal Tensor Forward(Tensor input, bool consumeInput)
    {
        Tensor halved;
        if (_compressTime)
        {
            halved = HalveTime(input);
            if (consumeInput) input.Dispose();
        }
        else halved = consumeInput ? input : input.alias();
        long b = halved.shape[0], c = halved.shape[1], t = halved.shape[2], h = halved.shape[3], w = halved.shape[4];
        Tensor y;
        // Fold time into the batch for the per-frame 2D convolution. Every view is disposed at once: an
        // undisposed one keeps its storage alive until a GC.
        using (var frames = FoldTime(halved, b, c, t, h, w))
            y = ModelWeights.Conv(conv, frames);
        using (y)
        using (var unfolded = y.reshape(b, t, y.shape[1], y.shape[2], y.shape[3]))
        using (var back = unfolded.permute(0, 2, 1, 3, 4))
            return back.contiguous();
    }

    // Pads by one zero row and column and folds time into the batch; disposes halved.
    static Tensor FoldTime(Tensor halved, long b, long c, long t, long h, long w)
    {
        Tensor padded;
        using (halved) padded = nn.functional.pad(halved, new long[] { 0, 1, 0, 1 });
        using (padded)
        using (var timeFirst = padded.permute(0, 2, 1, 3, 4))
            return timeFirst.reshape(b * t, c, h + 1, w + 1);
    }

    /// <summary>Time halving of a [B, C, T, H, W] tensor (exact: the mean of two is (a+b)/2).</summary>
    internal static Tensor HalveTime(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        if (t % 2 == 0)
        {
            using var pairs = x.reshape(b, c, t / 2, 2, h, w);
            return pairs.mean(new long[] { 3 });
        }
        if (t == 1) return x.clone();
        using var first = x.narrow(2, 0, 1);
        using var rest = x.narrow(2, 1, t - 1);
        using var restPairs = rest.reshape(b, c, (t - 1) / 2, 2, h, w);
        using var restMean = restPairs.mean(new long[] { 3 });
        return cat(new[] { first, restMean }, 2);
    }
}
