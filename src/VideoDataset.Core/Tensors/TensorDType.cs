namespace VideoDataset.Core.Tensors;

/// <summary>Element types the project reads (safetensors F32/F16/BF16) and writes (F32, BF16).</summary>
public enum TensorDType { Float32, Float16, BFloat16 }
