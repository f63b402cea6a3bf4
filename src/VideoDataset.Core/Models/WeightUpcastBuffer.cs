using TorchSharp;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models;

/// <summary>
/// One buffer, reused for every half-precision weight that a forward pass upcasts, instead of a new tensor
/// per matmul. A new tensor of T5-XXL's feed-forward size (168 MB of float32) costs its page faults on every
/// use, several times the conversion itself; the buffer pays them once per forward pass. Linear layers without
/// bias upcast a tile of rows at a time (<see cref="Linear"/>), so the buffer holds one tile (16 MiB), not a whole
/// weight. Active on this thread from <see cref="Begin"/> until that scope is disposed (nested scopes share the
/// outermost's buffer, which is freed with it); outside any scope <see cref="ModelWeights"/> converts into new
/// tensors as before. The values are the same either way: the conversion is exact, and the buffer starts at the
/// same alignment.
/// </summary>
public static class WeightUpcastBuffer
{
    [ThreadStatic] static int t_depth;
    [ThreadStatic] static Tensor? t_buffer;

    /// <summary>
    /// The float32 bytes of weight rows that <see cref="Linear"/> upcasts and multiplies at a time, so that the
    /// upcast rows are still in the cache (half of a 32 MiB L3) when the matmul reads them; 0: the whole weight,
    /// one matmul. Not smaller: each matmul call packs its whole input again, which for 4 MiB tiles and 498 or more
    /// tokens costs more than keeping the weight out of memory saves (bench/README.md, "Upcast in tiles").
    /// </summary>
    internal static long TileBytes { get; set; } = 16L << 20;

    // Every tile holds a multiple of this many rows, so tiles start and end where the whole matmul's blocks do. A tile
    // ending elsewhere is not bit-identical: with a weight of 40 rows, tiles of 16, 16 and 8 rows give other bits in
    // rows 32-39 than one matmul (libtorch 2.10's MKL on AVX2), so weights whose rows are not a multiple are not tiled.
    internal static long RowQuantum { get; set; } = 64;

    /// <summary>Starts a scope in which <see cref="ModelWeights.Linear"/> upcasts into the shared buffer.</summary>
    public static Scope Begin()
    {
        t_depth++;
        return new Scope();
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose()
        {
            if (t_depth == 0 || --t_depth > 0) return;
            t_buffer?.Dispose();
            t_buffer = null;
        }
    }

    /// <summary>
    /// <paramref name="weight"/> converted to <paramref name="dtype"/> in the buffer, or null outside a scope.
    /// The view (dispose it) is valid until the next call on this thread: use it at once.
    /// </summary>
    internal static Tensor? Upcast(Tensor weight, ScalarType dtype)
    {
        if (t_depth == 0) return null;
        long count = weight.numel();
        using var flat = Buffer(count, dtype, weight.device).narrow(0, 0, count);
        var view = flat.view(weight.shape);
        view.copy_(weight);
        return view;
    }

    /// <summary>
    /// <c>linear(input, weight)</c> without bias, computed in the input's dtype, a tile of the weight's rows (output
    /// features) at a time: each tile is upcast into the buffer and multiplied into its columns of the output, so
    /// the upcast weight never leaves the cache for memory. Null where it does not apply (outside a scope, tiling
    /// off, a weight that fits one tile or whose rows are not a multiple of <see cref="RowQuantum"/>, an input that
    /// <c>linear</c> would not fold into one matrix product). Each tile's product is the same BLAS call as the whole
    /// weight's with fewer output features, which on libtorch's CPU BLAS gives each output element the same bits
    /// (<c>TiledLinearTests</c>, at T5-XXL's shapes).
    /// </summary>
    internal static Tensor? Linear(Tensor input, Tensor weight)
    {
        if (t_depth == 0 || TileBytes <= 0 || weight.dim() != 2 || input.dim() < 2 || !input.is_contiguous()
            || input.device_type != DeviceType.CPU || weight.device_type != DeviceType.CPU || input.numel() == 0)
            return null;
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        if (input.shape[^1] != inFeatures) return null;
        long rows = TileRows(inFeatures, input.ElementSize);
        if (rows >= outFeatures || outFeatures % RowQuantum != 0) return null;

        var tile = Buffer(rows * inFeatures, input.dtype, weight.device);
        var shape = input.shape.ToArray();
        shape[^1] = outFeatures;
        var output = torch.empty(shape, dtype: input.dtype, device: input.device);
        using var a = input.view(-1, inFeatures);
        using var c = output.view(-1, outFeatures);
        for (long start = 0; start < outFeatures; start += rows)
        {
            long count = Math.Min(rows, outFeatures - start);
            using var flat = tile.narrow(0, 0, count * inFeatures);
            using var upcast = flat.view(count, inFeatures);
            using (var source = weight.narrow(0, start, count)) upcast.copy_(source);
            using var transposed = upcast.t();
            using var columns = c.narrow(1, start, count);
            // beta 0: the columns' previous contents are not read; the same GEMM call as mm's.
            columns.addmm_(a, transposed, beta: 0, alpha: 1);
        }
        return output;
    }

    /// <summary>The weight rows per tile of <see cref="Linear"/>: <see cref="TileBytes"/> of them, a multiple of <see cref="RowQuantum"/>, at least one quantum.</summary>
    internal static long TileRows(long inFeatures, long elementSize) =>
        Math.Max(RowQuantum, TileBytes / (inFeatures * elementSize) / RowQuantum * RowQuantum);

    static Tensor Buffer(long count, ScalarType dtype, Device device)
    {
        if (t_buffer is null || t_buffer.numel() < count || t_buffer.dtype != dtype || t_buffer.device_type != device.type || t_buffer.device_index != device.index)
        {
            t_buffer?.Dispose();
            t_buffer = null;
            // Not owned by the caller's dispose scope: it outlives the layer that first needs it.
            t_buffer = torch.empty(count, dtype: dtype, device: device).DetachFromDisposeScope();
        }
        return t_buffer;
    }
}
