using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace VideoDataset.Core.Tensors;

/// <summary>Moves tensors between <see cref="TensorData"/> (files) and TorchSharp (compute).</summary>
public static class TorchConvert
{
    public static ScalarType ToScalarType(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => ScalarType.Float32,
        TensorDType.Float16 => ScalarType.Float16,
        _ => ScalarType.BFloat16,
    };

    /// <summary>A CPU tensor with the file's dtype and shape (the bytes are copied).</summary>
    public static Tensor ToTorch(TensorData data)
    {
        // Fill the storage byte for byte: works for every dtype, including bf16.
        var tensor = torch.empty(data.Shape, ToScalarType(data.DType));
        data.Bytes.CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>Copies a tensor (any device, any float dtype) into a file-ready <see cref="TensorData"/> of <paramref name="dtype"/>.</summary>
    public static TensorData FromTorch(Tensor tensor, TensorDType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().to(ToScalarType(dtype)).cpu().contiguous();
        byte[] bytes = cpu.bytes.ToArray();
        return new TensorData(dtype, cpu.shape, bytes);
    }
}
