namespace VideoDataset.Core.Tensors;

/// <summary>One record of a stored zip: where its bytes are and their CRC-32.</summary>
internal sealed record StoredZipRecord(string Name, long DataOffset, long Size, uint Crc);
