using TorchSharp;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models;

/// <summary>
/// One buffer, reused for every half-precision weight that a forward pass upcasts, instead of a new tensor
/// per matmul. A new tensor of T5-XXL's feed-forward size (168 MB of float32) costs its page faults on every
/// use, several times the conversion itself; the buffer pays them once per forward pass. Active on this
/// thread from <see cref="Begin"/> until that scope is disposed (nested scopes share the outermost's buffer,
/// which is freed with it); outside any scope <see cref="ModelWeights"/> converts into new tensors as before.
/// The values are the same either way: the conversion is exact, and the buffer starts at the same alignment.
/// </summary>
public static class WeightUpcastBuffer
{
    [ThreadStatic] static int t_depth;
    [ThreadStatic] static Tensor? t_buffer;

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
        if (t_buffer is null || t_buffer.numel() < count || t_buffer.dtype != dtype || t_buffer.device_type != weight.device_type || t_buffer.device_index != weight.device_index)
        {
            t_buffer?.Dispose();
            t_buffer = null;
            // Not owned by the caller's dispose scope: it outlives the layer that first needs it.
            t_buffer = torch.empty(count, dtype: dtype, device: weight.device).DetachFromDisposeScope();
        }
        using var flat = t_buffer.narrow(0, 0, count);
        var view = flat.view(weight.shape);
        view.copy_(weight);
        return view;
    }
}
