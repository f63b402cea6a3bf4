namespace VideoDataset.Core.Tensors;

/// <summary>What a tensor file's data.pkl says: which storage record, its element type and count, and the view on it.</summary>
internal sealed record TorchTensorSpec(string StorageType, string StorageKey, long StorageNumel, long StorageOffset, long[] Size, long[] Stride);
