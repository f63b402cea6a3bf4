using TorchSharp;
using TorchSharp.Modules;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models;

/// <summary>
/// Loading without waste: models are built on the meta device (shapes only, no memory, no random
/// initialisation) and each parameter is then replaced by a tensor read from the checkpoint straight
/// into its storage, one tensor at a time, so the peak is the model plus one tensor. Half-precision
/// weights stay in their stored dtype when the model computes in float32: every forward upcasts them
/// where they are used, which is exact, so the results are those of weights converted at load.
/// </summary>
public static class ModelWeights
{
    /// <summary>Where models are built before their weights are read.</summary>
    public static Device Meta { get; } = new(DeviceType.META);

    /// <summary>Reads <c>destination.Length</c> bytes of tensor <c>name</c> from <c>tensorOffset</c> on.</summary>
    public delegate void ByteReader(string name, Span<byte> destination, long tensorOffset);

    // Spans are int-sized; larger tensors are read in slices.
    const long SliceBytes = 1L << 30;

    /// <summary>
    /// An embedding table. On the meta device TorchSharp's native <c>nn.Embedding</c> (and its <c>from_pretrained</c>)
    /// would first fill a float32 CPU table at random (for T5-XXL, half a gigabyte), so a one-row table is made
    /// and its weight replaced by a meta tensor of the real shape.
    /// </summary>
    public static Embedding Embedding(long count, long dimension, Device? device, ScalarType dtype)
    {
        if (device?.type != DeviceType.META) return nn.Embedding(count, dimension, device: device, dtype: dtype);
        var embedding = nn.Embedding(1, dimension, device: device, dtype: dtype);
        embedding.weight = new Parameter(torch.empty(count, dimension, dtype: dtype, device: device), requires_grad: false);
        return embedding;
    }

    /// <summary>
    /// The dtype a weight is kept in: its file's dtype when float32 compute can upcast it exactly at use
    /// (F16/BF16 to F32, half the memory of converting), otherwise the compute dtype (converted once, at load).
    /// </summary>
    public static ScalarType StorageType(TensorDType fileType, ScalarType computeType) =>
        computeType == ScalarType.Float32 && fileType is TensorDType.BFloat16 or TensorDType.Float16
            ? TorchConvert.ToScalarType(fileType)
            : computeType;

    /// <summary>
    /// A tensor of <paramref name="entry"/>'s shape in <paramref name="dtype"/> on <paramref name="device"/>,
    /// filled by reading the file's bytes directly into a CPU tensor of the file's dtype (converted and moved
    /// only when <paramref name="dtype"/> or <paramref name="device"/> differ). With <paramref name="map"/>, a weight
    /// kept as stored on the CPU is instead a view of its file's mapped pages where it can be (<see cref="WeightFileMap"/>).
    /// </summary>
    public static Tensor Read(SafetensorsEntry entry, ByteReader read, ScalarType dtype, Device device, WeightFileMap? map = null)
    {
        if (map is not null && device.type == DeviceType.CPU && dtype == TorchConvert.ToScalarType(entry.DType)
            && map.TryMap(entry) is { } mapped)
            return mapped;
        var cpu = torch.empty(entry.Shape, TorchConvert.ToScalarType(entry.DType));
        try
        {
            if (entry.ByteLength > 0)
            {
                using var flat = cpu.view(-1);
                long elementSize = TensorData.ElementSize(entry.DType);
                long sliceElements = SliceBytes / elementSize;
                for (long start = 0; start < flat.shape[0]; start += sliceElements)
                {
                    using var slice = flat.narrow(0, start, Math.Min(sliceElements, flat.shape[0] - start));
                    read(entry.Name, slice.bytes, start * elementSize);
                }
            }
            if (cpu.dtype == dtype && device.type == DeviceType.CPU) return cpu;
            using (cpu) return cpu.to(dtype, device);
        }
        catch
        {
            cpu.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every submodule of <paramref name="root"/> by its dotted name (as <c>named_modules</c> gives it) and the root
    /// itself under "": what <see cref="Assign"/> looks a parameter's owner up in, walked once per load rather
    /// than once per parameter.
    /// </summary>
    public static Dictionary<string, nn.Module> ModulesByName(nn.Module root)
    {
        var modules = new Dictionary<string, nn.Module>(StringComparer.Ordinal) { [""] = root };
        foreach (var (name, module) in root.named_modules()) modules.TryAdd(name, module);
        return modules;
    }

    /// <summary>
    /// Replaces the parameter <paramref name="name"/> (dotted, as <c>named_parameters</c> gives it) of the model whose
    /// <see cref="ModulesByName"/> are <paramref name="modules"/> with <paramref name="value"/>, which the module then
    /// owns. Works for the module kinds our models are made of.
    /// </summary>
    public static void Assign(IReadOnlyDictionary<string, nn.Module> modules, string name, Tensor value)
    {
        int dot = name.LastIndexOf('.');
        string leaf = name[(dot + 1)..];
        string ownerName = dot < 0 ? "" : name[..dot];
        if (!modules.TryGetValue(ownerName, out var owner))
            throw new InvalidOperationException($"cannot assign parameter '{name}': the model has no module '{ownerName}'");
        var parameter = new Parameter(value, requires_grad: false);
        switch (owner, leaf)
        {
            case (Linear m, "weight"): m.weight = parameter; break;
            case (Linear m, "bias"): m.bias = parameter; break;
            case (Conv3d m, "weight"): m.weight = parameter; break;
            case (Conv3d m, "bias"): m.bias = parameter; break;
            case (Conv2d m, "weight"): m.weight = parameter; break;
            case (Conv2d m, "bias"): m.bias = parameter; break;
            case (GroupNorm m, "weight"): m.weight = parameter; break;
            case (GroupNorm m, "bias"): m.bias = parameter; break;
            case (Embedding m, "weight"): m.weight = parameter; break;
            case (IAssignableParameters m, _): m.Assign(leaf, parameter); break;
            default:
                parameter.Dispose();
                throw new InvalidOperationException($"cannot assign parameter '{name}' of a {owner.GetType().Name}");
        }
    }

    /// <summary><paramref name="weight"/> in <paramref name="dtype"/>: a view when it already is, else a converted copy (dispose either).</summary>
    public static Tensor Use(Tensor weight, ScalarType dtype) => weight.dtype == dtype ? weight.alias() : weight.to(dtype);

    /// <summary>A linear layer on <paramref name="input"/>, its weights upcast to the input's dtype where stored narrower.</summary>
    public static Tensor Linear(Linear layer, Tensor input)
    {
        if (layer.weight.dtype == input.dtype) return layer.forward(input);
        if (layer.bias is null && WeightUpcastBuffer.Linear(input, layer.weight) is { } tiled) return tiled;
        using var w = WeightUpcastBuffer.Upcast(layer.weight, input.dtype) ?? Use(layer.weight, input.dtype);
        using var b = layer.bias is { } bias ? Use(bias, input.dtype) : null;
        return nn.functional.linear(input, w, b);
    }

    /// <summary>A 3D convolution (zero padding mode) with weights in the input's dtype.</summary>
    public static Tensor Conv(Conv3d conv, Tensor input)
    {
        if (!PicksKernelByThreads(conv, input)) return ConvWithInputDtype(conv, input);
        // oneDNN's result does not depend on the thread count (two to eight give the same latents), only libtorch's
        // choice of algorithm does: two threads for this call, then one again.
        set_num_threads(2);
        try { return ConvWithInputDtype(conv, input); }
        finally { set_num_threads(1); }
    }

    static Tensor ConvWithInputDtype(Conv3d conv, Tensor input)
    {
        if (conv.weight!.dtype == input.dtype) return conv.forward(input);
        using var w = Use(conv.weight, input.dtype);
        using var b = conv.bias is { } bias ? Use(bias, input.dtype) : null;
        return nn.functional.conv3d(input, w, b, conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>
    /// Whether libtorch would choose this convolution's CPU algorithm by the number of threads: a 1x1 kernel,
    /// unstrided and undilated, on a batch under 16, goes to oneDNN only when more than one thread runs and to
    /// libtorch's own im2col + GEMM on one (for inputs of batch x channels x time x height over 20480; smaller ones
    /// always go there), which starts its sums from the bias. A CogVideoX <c>conv_shortcut</c> is one, so a one-CPU
    /// machine (a Slurm task with one CPU, <c>OMP_NUM_THREADS=1</c>) would write latents that differ in their last
    /// bits from every other machine's, while DESIGN §8 wants shards' outputs byte for byte those of one machine.
    /// </summary>
    static bool PicksKernelByThreads(Conv3d conv, Tensor input) =>
        input.device_type == DeviceType.CPU && input.dtype == ScalarType.Float32 && input.shape[0] < 16
        && conv.weight!.shape[^1] == 1 && conv.weight.shape[^2] == 1
        && conv.stride.All(s => s == 1) && conv.dilation.All(d => d == 1) && get_num_threads() == 1;

    /// <summary>A 2D convolution (zero padding mode) with weights in the input's dtype.</summary>
    public static Tensor Conv(Conv2d conv, Tensor input)
    {
        if (conv.weight!.dtype == input.dtype) return conv.forward(input);
        using var w = Use(conv.weight, input.dtype);
        using var b = conv.bias is { } bias ? Use(bias, input.dtype) : null;
        return nn.functional.conv2d(input, w, b, conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>A group norm with its affine weights in the input's dtype.</summary>
    public static Tensor Norm(GroupNorm norm, Tensor input)
    {
        if (norm.weight!.dtype == input.dtype) return norm.forward(input);
        using var w = Use(norm.weight, input.dtype);
        using var b = norm.bias is { } bias ? Use(bias, input.dtype) : null;
        return nn.functional.group_norm(input, norm.num_groups, w, b, norm.eps);
    }
}

/// <summary>A module of ours whose own parameters <see cref="ModelWeights.Assign"/> can replace.</summary>
public interface IAssignableParameters
{
    void Assign(string name, Parameter value);
}
