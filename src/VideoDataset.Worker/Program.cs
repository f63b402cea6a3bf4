using System.Diagnostics;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Worker;

namespace VideoDataset.Worker;

/// <summary>
/// Runs the models for a batch of stale items: `latents --request file.json`, `text --request
/// file.json`, `segments --request file.json` (sequence videos from raw episodes), `tiny-model --out dir`, `selftest`. Writes each output atomically, and on stdout
/// progress lines, one done line per output and canonical diagnostics. Exit code 0 when every
/// item succeeded, 1 when some failed (the others are kept), 2 on bad usage.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0) return Usage();
        if (NativeRuntime.Load() is int failed) return failed;
        try
        {
            switch (args[0])
            {
                case "latents": return new LatentStage(Request(args)).Run();
                case "text": return new TextStage(Request(args)).Run();
                case "segments": return SegmentStage.Run(Core.Segments.SegmentRequest.Load(Option(args, "--request")));
                case "tiny-model": return TinyModels.Write(Option(args, "--out"));
                case "selftest": return SelfTest();
                default: return Usage();
            }
        }
        catch (DiagnosticException e)
        {
            Console.WriteLine(e.Diagnostic.ToString());
            return 1;
        }
    }

    static WorkRequest Request(string[] args) => WorkRequest.Load(Option(args, "--request"));

    static string Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0 || i + 1 >= args.Length) throw new DiagnosticException(Diagnostic.Error("VDS5040", "VideoDataset.Worker", 0, 0, $"Missing option {name}."));
        return args[i + 1];
    }

    static int Usage()
    {
        Console.Error.WriteLine("usage: VideoDataset.Worker latents|text|segments --request <file.json> | tiny-model --out <dir> | selftest");
        return 2;
    }

    /// <summary>Proves libtorch loads and computes in this process (the build's native patch works).</summary>
    static int SelfTest()
    {
        using var t = TorchSharp.torch.arange(1, 5, dtype: TorchSharp.torch.float32);
        Console.WriteLine($"selftest: torch sum = {t.sum().item<float>()}, device = {Devices.Resolve("auto").type}");
        return 0;
    }
}

/// <summary>Progress with items done/total and an ETA from the mean time per finished item.</summary>
sealed class Progress(int total)
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    int _done;

    public void Finished(string label)
    {
        _done++;
        TimeSpan? eta = _done < total ? TimeSpan.FromTicks(_clock.Elapsed.Ticks / _done * (total - _done)) : null;
        Console.WriteLine(WorkerProtocol.Progress(_done, total, label, eta));
    }
}

static class Devices
{
    /// <summary>auto: CUDA when libtorch sees a GPU, else the CPU.</summary>
    public static TorchSharp.torch.Device Resolve(string setting) => setting switch
    {
        "cuda" => TorchSharp.torch.CUDA,
        "cpu" => TorchSharp.torch.CPU,
        _ => TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.CUDA : TorchSharp.torch.CPU,
    };

    /// <summary>CPU computes in float32; CUDA in bfloat16, like the reference.</summary>
    public static TorchSharp.torch.ScalarType ComputeType(TorchSharp.torch.Device device) =>
        device.type == TorchSharp.DeviceType.CUDA ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32;
}
