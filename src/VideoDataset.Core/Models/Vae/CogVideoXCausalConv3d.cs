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

    /// <summary>
    /// Time-padded inputs larger than this many bytes are convolved on the CPU in bands of rows (<see cref="ForwardInBands"/>):
    /// at 720x480 the first level's activations are gigabytes, and one convolution call holds its padded input,
    /// oneDNN's reordered copies of input and output and the output, about four of them at once.
    /// </summary>
    internal static long BandAboveBytes { get; set; } = 1L << 30;

    /// <summary>About the largest time-padded input of one band of rows.</summary>
    internal static long BandBytes { get; set; } = 128L << 20;

    /// <summary>The fewest output rows of one band.</summary>
    internal static long MinBandRows { get; set; } = 16;

    /// <summary>How many calls so far went through <see cref="ForwardInBands"/> (for the tests).</summary>
    internal static long BandedCalls => Interlocked.Read(ref _bandedCalls);
    static long _bandedCalls;

    /// <summary>How many of those wrote their output into their input (for the tests).</summary>
    internal static long InPlaceCalls => Interlocked.Read(ref _inPlaceCalls);
    static long _inPlaceCalls;

    /// <summary>The frames the next chunk will be prefixed with, or null before the first chunk.</summary>
    internal Tensor? CachedFrames => _cache.Frames;

    /// <summary>Forgets the previous chunk: the next call starts a new video.</summary>
    public void ResetCache() => _cache.Set(null);

    public override Tensor forward(Tensor input) => Forward(input, consumeInput: false);

    /// <summary>
    /// <see cref="forward"/>, disposing <paramref name="input"/> as soon as it is no longer needed (after its
    /// time-padded copy exists, or after the last band), so that a block's peak memory holds one activation fewer.
    /// </summary>
    internal Tensor Forward(Tensor input, bool consumeInput)
    {
        if (_timeKernel == 1)
        {
            var y = Convolve(input);
            if (consumeInput) input.Dispose();
            return y;
        }
        long padFrames = _timeKernel - 1;
        long paddedBytes = input.NumberOfElements / input.shape[2] * (input.shape[2] + padFrames) * input.ElementSize;
        // On the CPU only, where oneDNN's sums were checked to come out the same in bands; CUDA keeps one call.
        if (paddedBytes > BandAboveBytes && input.shape[3] > 1 && input.device_type == DeviceType.CPU)
            return ForwardInBands(input, consumeInput, paddedBytes);
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
            using (var tail = padded.narrow(2, frames - padFrames, padFrames))
                _cache.Set(tail.clone().DetachFromDisposeScope());
            return Convolve(padded);
        }
    }

    /// <summary>
    /// The same convolution, one band of output rows at a time: each band's input is its rows plus one halo row
    /// above and below (the convolution's own zero padding stands in for them at the top and bottom edges), time
    /// padded, convolved with the same padding as the whole, and the band's rows are copied into the output. No
    /// time-padded copy of the whole input exists, and oneDNN's copies are band-sized. The output bits are those of
    /// one call at every shape tried (CogVideoX-5b's first level, 96x64 to 720-wide frames: <c>VaeRealSizeTests</c>,
    /// <c>ReferenceBench --models slices</c>); oneDNN picks its kernel by shape, so this is checked, not proven.
    /// When the caller hands its input over and the widths are equal, the output rows go into the input itself
    /// (see <see cref="ConvolveBands"/>), so that no second activation exists.
    /// </summary>
    Tensor ForwardInBands(Tensor input, bool consumeInput, long paddedBytes)
    {
        Interlocked.Increment(ref _bandedCalls);
        long padFrames = _timeKernel - 1;
        long frames = input.shape[2], height = input.shape[3];
        Tensor front;
        if (_cache.Frames is null)
        {
            // Every view is disposed at once: an undisposed one would keep the input's storage alive until a GC.
            using var first = input.narrow(2, 0, 1);
            using var repeated = first.expand(first.shape[0], first.shape[1], padFrames, first.shape[3], first.shape[4]);
            front = repeated.contiguous();
        }
        else front = _cache.Frames.alias();
        using (front)
        {
            // The next chunk's prefix: the last kernel-1 frames of [front, input], copied before any row is overwritten.
            Tensor next;
            if (frames >= padFrames)
            {
                using var tail = input.narrow(2, frames - padFrames, padFrames);
                next = tail.clone();
            }
            else
            {
                using var both = cat(new[] { front, input }, 2);
                using var tail = both.narrow(2, both.shape[2] - padFrames, padFrames);
                next = tail.clone();
            }

            // Bands of equal height (give or take a row) and never thin: oneDNN picks its kernel by shape, and
            // a band of a few rows can get one that sums in another order.
            long bands = Math.Min(Math.Max(1, height / MinBandRows), (paddedBytes + BandBytes - 1) / BandBytes);
            bool inPlace = false;
            Tensor output;
            using (var weight = ModelWeights.Use(conv.weight!, input.dtype))
            using (var bias = conv.bias is { } b ? ModelWeights.Use(b, input.dtype) : null)
            {
                // Stride 1 and equal widths: the output has the input's shape.
                inPlace = consumeInput && weight.shape[0] == input.shape[1] && input.is_contiguous();
                if (inPlace) Interlocked.Increment(ref _inPlaceCalls);
                output = inPlace ? input : empty(new[] { input.shape[0], weight.shape[0], frames, height, input.shape[4] }, input.dtype, input.device);
                ConvolveBands(input, front, output, bands, weight, bias);
            }
            _cache.Set(next.DetachFromDisposeScope());
            if (consumeInput && !inPlace) input.Dispose();
            return output;
        }
    }

    /// <summary>
    /// Convolves [front, input] band by band into <paramref name="output"/>, which may be <paramref name="input"/>
    /// itself. Band i reads input rows [r0-1, r1+1) into its own time-padded copy; band i+1 reads from row r1-1 on,
    /// so once band i's copy exists no later band reads the rows above r0_i, and band i-1's output (rows up to r0_i)
    /// can go there. One band's output waits for the next band's copy; the last one is written at the end.
    /// </summary>
    void ConvolveBands(Tensor input, Tensor front, Tensor output, long bands, Tensor weight, Tensor? bias)
    {
        long height = input.shape[3];
        Tensor? pending = null;
        long pendingRow = 0;
        try
        {
            for (long i = 0; i < bands; i++)
            {
                long r0 = i * height / bands, r1 = (i + 1) * height / bands, a0 = Math.Max(0, r0 - 1), a1 = Math.Min(height, r1 + 1);
                Tensor band;
                using (var frontRows = front.narrow(3, a0, a1 - a0))
                using (var inputRows = input.narrow(3, a0, a1 - a0))
                    band = cat(new[] { frontRows, inputRows }, 2);
                if (pending is not null) { WriteRows(output, pendingRow, pending); pending = null; }
                using (band)
                using (var y = Convolve(band, weight, bias))
                    pending = y.narrow(3, r0 - a0, r1 - r0);
                pendingRow = r0;
            }
            if (pending is not null) { WriteRows(output, pendingRow, pending); pending = null; }
        }
        finally { pending?.Dispose(); }
    }

    // Copies rows (a view of a band's output) into output from row r0 on and disposes them.
    static void WriteRows(Tensor output, long r0, Tensor rows)
    {
        using (rows)
        using (var target = output.narrow(3, r0, rows.shape[3]))
            target.copy_(rows);
    }

    /// <summary>
    /// Every convolution of this layer (one call or a band), with its weights already in the input's dtype: one
    /// place that decides how the convolution is computed.
    /// </summary>
    Tensor Convolve(Tensor paddedInput, Tensor weight, Tensor? bias) =>
        nn.functional.conv3d(paddedInput, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups);

    // One call with the layer's weights in the input's dtype.
    Tensor Convolve(Tensor paddedInput) => ModelWeights.Conv(conv, paddedInput);

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
