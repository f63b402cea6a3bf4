using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models;
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
        // Read by libtorch's runtime when it loads, so set first: the VAE encoder's (bit-neutral) thread and memory settings.
        bool runtimeSettings = args[0] is WorkerRequest.Latents or "selftest" && NativeRuntimeSettings.Apply(NativeRuntimeSettings.VaeCpu);
        if (NativeRuntime.Load() is int failed) return failed;
        try
        {
            switch (args[0])
            {
                case WorkerRequest.Latents: return new LatentStage(Request(args)).Run();
                case WorkerRequest.Text: return new TextStage(Request(args)).Run();
                case WorkerRequest.Segments: return SegmentStage.Run(Request(args));
                case "tiny-model": return TinyModels.Write(Option(args, "--out"));
                case "selftest": return SelfTest(runtimeSettings);
                default: return Usage();
            }
        }
        catch (DiagnosticException e)
        {
            Console.WriteLine(e.Diagnostic.ToString());
            return 1;
        }
    }

    /// <summary>The request of the stage named first on the command line; a request of another stage is a usage error.</summary>
    static WorkerRequest Request(string[] args)
    {
        string path = Option(args, "--request");
        var request = WorkerRequest.Load(path);
        if (request.Stage != args[0])
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.WorkerUsage, path, 0, 0, $"The request is for the '{request.Stage}' stage: expected one for '{args[0]}'."));
        return request;
    }

    static string Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0 || i + 1 >= args.Length) throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.WorkerUsage, "VideoDataset.Worker", 0, 0, $"Missing option {name}."));
        return args[i + 1];
    }

    static int Usage()
    {
        Console.Error.WriteLine("usage: VideoDataset.Worker latents|text|segments --request <file.json> | tiny-model --out <dir> | selftest");
        return 2;
    }

    /// <summary>Proves libtorch loads and computes in this process (the build's native patch works).</summary>
    static int SelfTest(bool runtimeSettings)
    {
        using var t = TorchSharp.torch.arange(1, 5, dtype: TorchSharp.torch.float32);
        string device = TorchSharp.torch.cuda.is_available() ? ComputeDevice.Cuda : ComputeDevice.Cpu;
        Console.WriteLine($"selftest: torch sum = {t.sum().item<float>()}, device = {Devices.Use(device).type}");
        // What the latents stage runs with (set here the same way), and whether it was set before libtorch loaded.
        Console.WriteLine($"selftest: runtime {string.Join(" ", NativeRuntimeSettings.VaeCpu.Select(s => $"{s.Key}={NativeRuntimeSettings.Get(s.Key)}"))}, set before libtorch loaded: {(runtimeSettings ? "yes" : "no")}");
        return 0;
    }
}
