using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Worker;

namespace VideoDataset.Worker;

static class Devices
{
    /// <summary>
    /// The device the build resolved (cpu, cuda or cuda:N; its key records it): computed on exactly
    /// that, or a canonical error, never a silent fallback to other numerics. The dtype follows
    /// from the device (<see cref="Core.Models.ComputeTypes"/>).
    /// </summary>
    public static TorchSharp.torch.Device Use(string device)
    {
        if (device == ComputeDevice.Cpu) return TorchSharp.torch.CPU;
        if (ComputeDevice.IsCuda(device))
        {
            int index = device == ComputeDevice.Cuda ? 0 : int.Parse(device.AsSpan(ComputeDevice.Cuda.Length + 1), System.Globalization.CultureInfo.InvariantCulture);
            int count = TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
            if (index < count) return TorchSharp.torch.device(device);
            throw new DiagnosticException(Diagnostic.Error(ComputeDevice.Unusable, "VideoDataset.Worker", 0, 0,
                $"The build asked for TorchDevice '{device}', but libtorch in this worker sees {count} CUDA devices: expected the device the outputs' keys record."));
        }
        throw new DiagnosticException(Diagnostic.Error(ComputeDevice.Unusable, "VideoDataset.Worker", 0, 0,
            $"The request's TorchDevice is '{device}': expected a resolved device (cpu, cuda or cuda:N)."));
    }

    /// <summary>Says where the stage computes, so a build log shows the numerics its keys record.</summary>
    public static TorchSharp.torch.Device UseAndReport(string device)
    {
        var d = Use(device);
        Console.WriteLine($"VideoDataset.Worker: computing on {device} in {Core.Models.ComputeTypes.For(d).ToString().ToLowerInvariant()}");
        return d;
    }
}
