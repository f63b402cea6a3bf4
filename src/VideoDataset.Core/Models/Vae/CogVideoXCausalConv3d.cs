using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// diffusers <c>CogVideoXCausalConv3d</c>: a 3D convolution that never looks at later frames. Spatial
/// padding is the convolution's own zero padding; time is padded on the front only, with copies of
/// the first frame for the first chunk and with the last <c>kernel-1</c> input frames of the previous
/// chunk afterwards, so that encoding a video chunk by chunk equals encoding it at once
/// (GroupNorm aside). Checkpoint keys: <c>conv.weight</c>, <c>conv.bias</c>.
/// </summary>
public sealed class CogVideoXCausalConv3d : nn.Module<Tensor, Tensor>
{
    readonly Conv3d conv;
    readonly int _timeKernel;
    // Held in a plain holder so TorchSharp never registers the cache as a buffer.
    readonly FrameCache _cache = new();

    public CogVideoXCausalConv3d(long inChannels, long outChannels, int kernelSize = 3, Device? device = null) : base(nameof(CogVideoXCausalConv3d))
    {
        _timeKernel = kernelSize;
        long spatialPad = (kernelSize - 1) / 2;
        conv = nn.Conv3d(inChannels, outChannels, (kernelSize, kernelSize, kernelSize), padding: (0, spatialPad, spatialPad), device: device);
        RegisterComponents();
    }

    /// <summary>The frames the next chunk will be prefixed with, or null before the first chunk.</summary>
    internal Tensor? CachedFrames => _cache.Frames;

    /// <summary>Forgets the previous chunk: the next call starts a new video.</summary>
    public void ResetCache() => _cache.Set(null);

    public override Tensor forward(Tensor input) => Forward(input, consumeInput: false);

    /// <summary>
    /// <see cref="forward"/>, disposing <paramref name="input"/> as soon as its time-padded copy exists,
    /// so that a block's peak memory holds one activation fewer.
    /// </summary>
    internal Tensor Forward(Tensor input, bool consumeInput)
    {
        if (_timeKernel == 1)
        {
            var y = ModelWeights.Conv(conv, input);
            if (consumeInput) input.Dispose();
            return y;
        }
        Tensor padded;
        if (_cache.Frames is null)
        {
            using var first = input.narrow(2, 0, 1);
            padded = cat(Enumerable.Repeat(first, _timeKernel - 1).Append(input).ToList(), 2);
        }
        else
        {
            padded = cat(new[] { _cache.Frames, input }, 2);
        }
        if (consumeInput) input.Dispose();
        using (padded)
        {
            // Keep the last kernel-1 frames of the padded input (for a 1-frame chunk this includes cached frames).
            long frames = padded.shape[2];
            using (var tail = padded.narrow(2, frames - (_timeKernel - 1), _timeKernel - 1))
                _cache.Set(tail.clone().DetachFromDisposeScope());
            return ModelWeights.Conv(conv, padded);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _cache.Set(null);
        base.Dispose(disposing);
    }

    sealed class FrameCache
    {
        public Tensor? Frames { get; private set; }
        public void Set(Tensor? frames) { Frames?.Dispose(); Frames = frames; }
    }
}
