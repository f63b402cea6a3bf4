namespace VideoDataset.Core.Tensors;

/// <summary>One tensor's place in a safetensors file; <see cref="DataOffset"/> is relative to the data area.</summary>
public sealed record SafetensorsEntry(string Name, TensorDType DType, long[] Shape, long DataOffset, long ByteLength);
