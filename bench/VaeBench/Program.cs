// VAE encoding benchmark (issue 3): frames/s and peak resident memory of LatentEncoder.EncodeFile on the CPU.
//   dotnet run -c Release --project bench/VaeBench -- [--configs tiny,mid] [--seconds 3,63] [--size 128x80] [--chunk 16]
//       [--decoding ahead,inline]
// --decoding: "ahead" (what the worker does: ffmpeg's output is read on a background thread, one chunk ahead) and/or
// "inline" (each chunk read when the encoder asks for it, as before); "input wait" is how long the encoder waited.
// --videos 2 encodes each clip twice in one child, as the worker encodes two videos: "ahead" opens the second
// (probe, ffmpeg, first chunk) while the first is encoded; the figures are then the second video's.
// The parent writes the models (deterministic weights, TinyVae's initialisation) and makes 16 fps testsrc2
// clips with ffmpeg (ffv1, lossless), then encodes each (model, clip) pair in a child process of its own, so
// that each peak RSS (VmHWM from /proc/self/status) belongs to one clip only. Memory that does not grow with
// the clip's length is the point: the 63-s / 3-s peak RSS ratio should stay near 1.
using static BenchSupport;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Video;

const string ChildFlag = "--encode-one";
if (args.Length > 0 && args[0] == ChildFlag)
{
    // The child runs as the worker's latents stage does: with its native runtime settings, set before the first torch call.
    VideoDataset.Core.Models.NativeRuntimeSettings.Apply(VideoDataset.Core.Models.NativeRuntimeSettings.VaeCpu);
    return EncodeOne(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), args[6] == "ahead", int.Parse(args[7]));
}

var configs = new Dictionary<string, VaeConfig>
{
    // ModelDir=tiny: the model the sample and the tests run.
    ["tiny"] = TinyVae.Config,
    // A mid-size CogVideoX VAE: half the real widths, 2 instead of 3 layers per block (real 5b: [128,256,256,512], 3).
    ["mid"] = TinyVae.Config with { BlockOutChannels = new[] { 64, 128, 128, 256 }, LayersPerBlock = 2, NormNumGroups = 32 },
    // CogVideoX-5b's VAE: real widths, every encoder and decoder key, random BF16 weights (RealSizeModels, as the tests).
    ["real"] = VideoDataset.Tests.Support.RealSizeModels.CogVideoX5bVaeConfig,
};
string[] names = Option("--configs", "tiny,mid").Split(',');
int[] secondsList = Option("--seconds", "3,63").Split(',').Select(int.Parse).ToArray();
int[] size = Option("--size", "128x80").Split('x').Select(int.Parse).ToArray();
int chunk = int.Parse(Option("--chunk", "16"));
string[] decodings = Option("--decoding", "ahead").Split(',');
int videos = int.Parse(Option("--videos", "1"));
int width = size[0], height = size[1];

string dir = Path.Combine(Path.GetTempPath(), "vaebench-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
try
{
    Console.WriteLine($"VaeBench: {width}x{height}, 16 fps, VaeChunkFrames {chunk}, CPU float32, {Environment.ProcessorCount} cores");
    Console.WriteLine($"load average at start: {LoadAverage()}");
    var clips = new Dictionary<int, string>();
    foreach (int seconds in secondsList)
    {
        string clip = Path.Combine(dir, $"clip-{seconds}s.mkv");
        Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=16",
            "-frames:v", (16 * seconds + 1).ToString(), "-c:v", "ffv1", clip);
        clips[seconds] = clip;
    }
    var rows = new List<string>();
    foreach (string name in names)
    {
        var config = configs[name];
        string vae = Path.Combine(dir, name);
        if (name == "real") VideoDataset.Tests.Support.RealSizeModels.WriteCogVideoX5bVae(vae);
        else TinyVae.Write(vae, config);
        foreach (string decoding in decodings)
        {
            double? firstPeak = null;
            foreach (int seconds in secondsList)
            {
                string load = LoadAverage();
                var r = Child(vae, clips[seconds], width, height, chunk, decoding, videos);
                firstPeak ??= r.PeakMiB;
                string line = $"| {name} [{string.Join(",", config.BlockOutChannels)}] x{config.LayersPerBlock} | {width}x{height} | {seconds} s ({r.Frames} frames) | {decoding}{(videos > 1 ? $", video 2 of {videos}" : "")} | " +
                              $"{r.Seconds:F1} s | {r.WaitSeconds:F2} s ({r.WaitSeconds / r.Seconds:P1}; first chunk {r.FirstWaitSeconds:F2} s) | {r.Frames / r.Seconds:F1} | {r.LoadedMiB:F0} | {r.PeakMiB:F0} | {r.PeakMiB / firstPeak:F2} | {load} |";
                Console.WriteLine(line);
                rows.Add(line);
            }
        }
    }
    Console.WriteLine();
    Console.WriteLine($"| model [block_out_channels] x layers_per_block | size | clip | decoding | encode time | input wait (share) | frames/s | RSS after load (MiB) | peak RSS (MiB) | peak / peak of the {secondsList[0]}-s clip | load average (1/5/15 min) before the run |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var row in rows) Console.WriteLine(row);
    Console.WriteLine($"load average at end: {LoadAverage()}");
    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}

// The child: load the encoder, note the peak so far, encode the clip, report the final peak.
static int EncodeOne(string vae, string clip, int width, int height, int chunk, bool ahead, int videos)
{
    using var encoder = LatentEncoder.Load(vae, torch.CPU);
    encoder.DecodeAhead = ahead;
    double loaded = VmHwmMiB();
    var spec = new VideoSpec(16, 3, width, height);
    var sw = Stopwatch.StartNew();
    TensorData latent = null!;
    // The worker's loop (LatentStage): the next video opened while this one is encoded; only the last one timed.
    Task<VideoInput>? next = ahead ? Task.Run(() => encoder.Open(clip, spec, chunk)) : null;
    for (int v = 0; v < videos; v++)
    {
        sw.Restart();
        if (!ahead) { latent = encoder.EncodeFile(clip, spec, chunk); continue; }
        using var input = next!.GetAwaiter().GetResult();
        next = v + 1 < videos ? Task.Run(() => encoder.Open(clip, spec, chunk)) : null;
        latent = encoder.Encode(input);
    }
    sw.Stop();
    int frames = VideoConformance.FramesToEncode(VideoProbe.Probe(clip).FrameCount, spec);
    Console.WriteLine(FormattableString.Invariant(
        $"RESULT {frames} {sw.Elapsed.TotalSeconds:R} {loaded:R} {VmHwmMiB():R} {encoder.LastInputWait.TotalSeconds:R} {encoder.LastFirstChunkWait.TotalSeconds:R} [{string.Join(",", latent.Shape)}] threads={torch.get_num_threads()}"));
    return 0;
}

static (int Frames, double Seconds, double LoadedMiB, double PeakMiB, double WaitSeconds, double FirstWaitSeconds) Child(string vae, string clip, int width, int height, int chunk, string decoding, int videos)
{
    // Started the way this process was: the apphost directly, or `dotnet VaeBench.dll`.
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
    foreach (var a in new[] { ChildFlag, vae, clip, width.ToString(), height.ToString(), chunk.ToString(), decoding, videos.ToString() }) psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    string output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    string? result = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
    if (p.ExitCode != 0 || result is null) throw new InvalidOperationException($"child failed ({p.ExitCode}): {output}");
    Console.WriteLine("  " + result);
    var f = result.Split(' ');
    double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
    return (int.Parse(f[1]), D(2), D(3), D(4), D(5), D(6));
}

// VmHWM: the peak resident set size of this process, in kB.
static double VmHwmMiB() =>
    File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
        .Select(l => long.Parse(l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0).Single();


static void Run(string file, params string[] arguments)
{
    using var p = Process.Start(file, arguments);
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{file} exited with {p.ExitCode}");
}

string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
