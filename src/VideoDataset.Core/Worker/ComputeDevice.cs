using System.Globalization;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Worker;

/// <summary>
/// Where and in which dtype the models compute. TorchDevice is resolved once, in the build, without
/// loading libtorch; the resolved device goes both into every output's key and into the worker's
/// request, and the worker computes on exactly that device or fails. So a key never records
/// numerics other than the ones its output was computed with.
/// </summary>
public static class ComputeDevice
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    /// <summary>TorchDevice names a device this build cannot compute on.</summary>
    public const string Unusable = "VDS5003";

    public static bool IsCuda(string device) => device == Cuda || device.StartsWith(Cuda + ":", StringComparison.Ordinal);

    /// <summary>The one dtype rule: bfloat16 on CUDA, as the reference pipeline loads its models there; float32 on the CPU.</summary>
    public static bool ComputesInBFloat16(string device) => IsCuda(device);

    /// <summary>The numerics part of a recipe: "cpu-fp32" or "cuda-bf16".</summary>
    public static string Numerics(string device) =>
        (IsCuda(device) ? Cuda : Cpu) + "-" + (ComputesInBFloat16(device) ? "bf16" : "fp32");

    /// <summary>
    /// The device to compute on: "cpu", "cuda" or "cuda:N". auto is CUDA only when the worker is a
    /// CUDA build and a GPU is visible; cuda asked of a CPU build or of a machine without a visible
    /// GPU is an error, never a silent fallback.
    /// </summary>
    public static string Resolve(string setting, bool cudaBuild, int visibleGpus, string projectFile, out Diagnostic? error)
    {
        error = null;
        string s = setting.Trim().ToLowerInvariant();
        if (s == Cpu) return Cpu;
        if (s == "auto") return cudaBuild && visibleGpus > 0 ? Cuda : Cpu;
        int index = 0;
        bool cuda = s == Cuda || (s.StartsWith(Cuda + ":", StringComparison.Ordinal)
            && int.TryParse(s.AsSpan(Cuda.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out index));
        string? why = !cuda ? $"TorchDevice is '{setting}': expected auto, cpu, cuda or cuda:N."
            : !cudaBuild ? $"TorchDevice is '{setting}', but the worker is a CPU build: expected TorchDevice=auto or cpu, or a worker built with -p:VideoDatasetCuda=true."
            : index >= visibleGpus ? $"TorchDevice is '{setting}', but {visibleGpus} GPUs are visible to this build (/proc/driver/nvidia/gpus, CUDA_VISIBLE_DEVICES): expected a GPU, or TorchDevice=auto or cpu."
            : null;
        if (why is null) return s;
        error = Diagnostic.Error(Unusable, projectFile, 0, 0, why);
        return setting;
    }

    /// <summary>
    /// GPUs this process could use, without loading a driver: the NVIDIA kernel driver lists one
    /// folder per GPU in /proc/driver/nvidia/gpus, and CUDA_VISIBLE_DEVICES narrows them as CUDA would.
    /// </summary>
    public static int VisibleGpus() => VisibleGpus("/proc/driver/nvidia/gpus", Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"));

    /// <param name="gpuFolder">The driver's folder of GPUs.</param>
    /// <param name="visible">CUDA_VISIBLE_DEVICES, null when unset.</param>
    public static int VisibleGpus(string gpuFolder, string? visible)
    {
        int present;
        try { present = Directory.Exists(gpuFolder) ? Directory.GetDirectories(gpuFolder).Length : 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { present = 0; }
        if (visible is null) return present;
        // CUDA stops at the first entry that is not a device (e.g. -1): only those before it count.
        int listed = 0;
        foreach (string part in visible.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part == "" || part.StartsWith('-')) break;
            listed++;
        }
        return Math.Min(present, listed);
    }
}
