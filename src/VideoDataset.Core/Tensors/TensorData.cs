using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// A dense, row-major tensor held as little-endian bytes: what tensor files and safetensors
/// store, with no dependency on TorchSharp (Core's staleness code and the MSBuild tasks use it).
/// </summary>
public sealed class TensorData
{
    public TensorDType DType { get; }
    public long[] Shape { get; }
    public byte[] Bytes { get; }

    public TensorData(TensorDType dtype, long[] shape, byte[] bytes)
    {
        long expected = ElementCount(shape) * ElementSize(dtype);
        if (bytes.LongLength != expected)
            throw new ArgumentException($"{bytes.LongLength} bytes given for shape [{string.Join(", ", shape)}] of {dtype}, expected {expected}");
        DType = dtype; Shape = shape; Bytes = bytes;
    }

    public long Count => ElementCount(Shape);

    public static long ElementCount(long[] shape) { long n = 1; foreach (long d in shape) n *= d; return n; }

    public static int ElementSize(TensorDType dtype) => dtype == TensorDType.Float32 ? 4 : 2;

    /// <summary>Converts float32 values to <paramref name="dtype"/>, rounding to nearest even as torch does.</summary>
    public static TensorData FromFloat32(ReadOnlySpan<float> values, long[] shape, TensorDType dtype)
    {
        byte[] bytes = new byte[values.Length * ElementSize(dtype)];
        switch (dtype)
        {
            case TensorDType.Float32:
                MemoryMarshal.AsBytes(values).CopyTo(bytes);
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
                break;
            case TensorDType.BFloat16:
                for (int i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16Bits(values[i]));
                break;
            case TensorDType.Float16:
                for (int i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                break;
        }
        return new TensorData(dtype, shape, bytes);
    }

    /// <summary>All elements as float32 (exact for every supported dtype).</summary>
    public float[] ToFloat32()
    {
        var result = new float[Count];
        ReadOnlySpan<byte> b = Bytes;
        for (int i = 0; i < result.Length; i++)
            result[i] = DType switch
            {
                TensorDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b[(4 * i)..]),
                TensorDType.BFloat16 => FromBFloat16Bits(BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..])),
                _ => (float)BinaryPrimitives.ReadHalfLittleEndian(b[(2 * i)..]),
            };
        return result;
    }

    /// <summary>float32 to bfloat16 with round-to-nearest-even; NaN stays a quiet NaN (c10::BFloat16's rule).</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static float FromBFloat16Bits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
