// usage: dotnet run -c Release --project bench/VaeBench -- [[WxH:]seconds...]   (default: 3 63, at 128x80)
// Makes 16 fps testsrc2 clips (ffv1), encodes each with the tiny VAE on the CPU in 16-frame chunks and
// prints frames/s and the process's peak RSS after each clip (run one clip per process to compare peaks).
using System.Diagnostics;
using TorchSharp;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Video;

var clips = (args.Length > 0 ? args : new[] { "3", "63" }).Select(a =>
{
    var parts = a.Split(':');
    var size = parts.Length == 2 ? parts[0].Split('x').Select(int.Parse).ToArray() : new[] { 128, 80 };
    return (Width: size[0], Height: size[1], Seconds: int.Parse(parts[^1]));
}).ToArray();
string dir = Path.Combine(Path.GetTempPath(), "vaebench-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
string vae = Path.Combine(dir, "vae");
TinyVae.Write(vae);
using var encoder = LatentEncoder.Load(vae, torch.CPU);
Console.WriteLine($"torch threads: {torch.get_num_threads()}, cores: {Environment.ProcessorCount}");
foreach (var (width, height, seconds) in clips)
{
    var spec = new VideoSpec(16, 3, width, height);
    int frames = spec.Fps * seconds + 1;
    string clip = Path.Combine(dir, $"clip{width}x{height}-{seconds}.mkv");
    var ff = Process.Start("ffmpeg", new[] { "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=16",
        "-frames:v", frames.ToString(), "-c:v", "ffv1", clip })!;
    ff.WaitForExit();
    var sw = Stopwatch.StartNew();
    var latent = encoder.EncodeFile(clip, spec, 16);
    sw.Stop();
    long peak = Process.GetCurrentProcess().PeakWorkingSet64; // VmHWM: peak resident set
    Console.WriteLine($"{width}x{height} {seconds,3} s ({frames} frames) -> [{string.Join(", ", latent.Shape)}] in {sw.Elapsed.TotalSeconds:F2} s: " +
                      $"{frames / sw.Elapsed.TotalSeconds:F1} frames/s, peak RSS {peak / (1024.0 * 1024):F0} MiB");
}
Directory.Delete(dir, recursive: true);
