using TorchSharp;
using VideoDataset.Core.Worker;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models;

/// <summary>The dtype the models compute in on a device: <see cref="ComputeDevice"/>'s rule, as a TorchSharp type.</summary>
public static class ComputeTypes
{
    public static ScalarType For(Device device) =>
        ComputeDevice.ComputesInBFloat16(device.type == DeviceType.CUDA ? ComputeDevice.Cuda : ComputeDevice.Cpu) ? ScalarType.BFloat16 : ScalarType.Float32;
}
