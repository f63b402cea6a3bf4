// Side by side: our CPU VAE encoder and T5 encoder against the repository's PyTorch references
// (tests/VideoDataset.Tests/python/vae_reference.py and t5_reference.py, /usr/bin/python3) on the same inputs and
// the same weight files, in one run, with the same number of torch threads.
//   dotnet run -c Release --project bench/ReferenceBench -- [--models vae,t5] [--vae-sizes 96x64,720x480]
//       [--frames 49] [--chunk 16] [--t5-layers 2] [--batch 1] [--length 498] [--repeats 2] [--threads N]
//       [--t5-dir DIR] [--t5-converted auto|yes|no] [--reference-blas system,DIR]
// Weights: CogVideoX-5b's VAE and T5 v1.1 XXL's shape (--t5-layers of 24), random BF16, written by RealSizeModels
// as the tests write them. Inputs: a uniform random video in [-1, 1] (float32 [1, 3, frames, H, W]) and uniform
// random token ids. Timed on both sides: the forward pass only (ours: CogVideoXEncoder3D.Encode with the chunk
// length, T5EncoderModel.forward; theirs: the script's --time mode), --repeats runs each, the fastest counts.
// Loading is not timed. The references convert the VAE's weights to float32 at load; the T5 reference is timed
// twice, upcasting each weight at use (as stored, as ours does) and with --converted (float32 at load).
// The outputs are compared too, so that the two sides are known to compute the same thing.
// --reference-blas: the BLAS libraries the references run with, one run each: "system" (Debian's python3-torch
// links the unoptimised reference BLAS, libblas3, through which every float32 matmul goes) or a folder holding
// another libblas.so.3 (OpenBLAS: `apt-get download libopenblas0-pthread; dpkg-deb -x`), put first on the
// reference's LD_LIBRARY_PATH with OPENBLAS_NUM_THREADS set to the thread count. Ours is TorchSharp's libtorch (MKL).
// --t5-dir reuses T5 weights already written (LoadBench --keep); --t5-converted auto skips the float32-at-load
// reference when its weights alone would exceed 10 GB (24 layers: 19 GB), where the upcast-at-use one needs 9.5 GB.
using static BenchSupport;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Tests.Support;
using static TorchSharp.torch;

string[] models = Option("--models", "vae,t5").Split(',');
string[] vaeSizes = Option("--vae-sizes", "96x64").Split(',');
int frames = int.Parse(Option("--frames", "49"));
int chunk = int.Parse(Option("--chunk", "16"));
int t5Layers = int.Parse(Option("--t5-layers", "2"));
int batch = int.Parse(Option("--batch", "1"));
int length = int.Parse(Option("--length", "498"));
int repeats = int.Parse(Option("--repeats", "2"));
string t5DirOption = Option("--t5-dir", "");
string t5Converted = Option("--t5-converted", "auto");
string[] blases = Option("--reference-blas", "system").Split(',');
if (Option("--threads", "") is { Length: > 0 } t) set_num_threads(int.Parse(t));
int threads = get_num_threads();

string repo = FindRepo();
string python = Path.Combine(repo, "tests/VideoDataset.Tests/python");
string dir = Path.Combine(Path.GetTempPath(), "referencebench-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
var rows = new List<string>();
Console.WriteLine($"ReferenceBench: CPU float32, torch threads {threads} on both sides, {Environment.ProcessorCount} cores, {repeats} runs each (fastest counts)");
Console.WriteLine($"load average at start: {LoadAverage()}");
try
{
    if (models.Contains("vae"))
    {
        string vaeDir = Path.Combine(dir, "vae");
        RealSizeModels.WriteCogVideoX5bVae(vaeDir);
        foreach (string size in vaeSizes)
        {
            int[] wh = size.Split('x').Select(int.Parse).ToArray();
            manual_seed(2024);
            using var video = rand(new long[] { 1, 3, frames, wh[1], wh[0] }).mul(2).sub(1);
            string input = Path.Combine(dir, $"video-{size}.safetensors"), output = Path.Combine(dir, $"latent-{size}.safetensors");
            SafetensorsFile.Write(input, new[] { ("video", TorchConvert.FromTorch(video, TensorDType.Float32)) });

            string load = LoadAverage();
            var ours = new List<double>();
            Tensor? latent = null;
            using (var encoder = VaeLoader.LoadEncoder(vaeDir, CPU, ScalarType.Float32))
            using (no_grad())
            {
                for (int i = 0; i < repeats; i++)
                {
                    latent?.Dispose();
                    var sw = Stopwatch.StartNew();
                    latent = encoder.Encode(video, chunk);
                    ours.Add(sw.Elapsed.TotalSeconds);
                }
            }
            Console.WriteLine($"  ours {size}: {string.Join(" ", ours.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s");
            using var mine = latent!.squeeze(0).permute(1, 0, 2, 3).contiguous();
            latent.Dispose();
            foreach (string blas in blases)
            {
                string loadTheirs = LoadAverage();
                var run = RunPython(Path.Combine(python, "vae_reference.py"), blas, threads, vaeDir, input, chunk.ToString(), output,
                    "--time", repeats.ToString(), "--threads", threads.ToString());
                var theirs = Times(run, skip: 1);
                Console.WriteLine($"  PyTorch {size} ({BlasName(blas)}): {string.Join(" ", theirs.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s");
                using var reference = TorchConvert.ToTorch(SafetensorsFile.Open(output).Read($"latent_{chunk}"));
                string agreement = Agreement(mine, reference);
                rows.Add($"| CogVideoX-5b VAE encoder, {size}, {frames} frames, chunk {chunk}; PyTorch with {BlasName(blas)} | {ours.Min():F2} s | {theirs.Min():F2} s | **{ours.Min() / theirs.Min():F2}x** (target <= 0.70) | {agreement} | - | {load} / {loadTheirs} |");
                Console.WriteLine(rows[^1]);
            }
        }
    }
    if (models.Contains("t5"))
    {
        string t5Dir = t5DirOption.Length > 0 ? t5DirOption : Path.Combine(dir, "t5");
        if (t5DirOption.Length == 0) RealSizeModels.WriteT5Xxl(t5Dir, t5Layers);
        else if (!File.ReadAllText(Path.Combine(t5Dir, "config.json")).Contains($"\"num_layers\": {t5Layers},"))
            throw new InvalidOperationException($"{t5Dir} does not hold {t5Layers} layers");
        long weightBytes = Directory.GetFiles(t5Dir, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var random = new Random(7);
        var ids = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(0, 32128)).ToArray()).ToArray();
        string idsPath = Path.Combine(dir, "ids.json"), output = Path.Combine(dir, "t5.f32");
        File.WriteAllText(idsPath, JsonSerializer.Serialize(ids));

        string load = LoadAverage();
        var ours = new List<double>();
        Tensor? hidden = null;
        using (var model = T5EncoderModel.Load(t5Dir, CPU, ScalarType.Float32))
        using (inference_mode())
        using (var input = tensor(ids.SelectMany(r => r.Select(i => (long)i)).ToArray(), new long[] { batch, length }, ScalarType.Int64))
        {
            for (int i = 0; i < repeats; i++)
            {
                hidden?.Dispose();
                var sw = Stopwatch.StartNew();
                hidden = model.forward(input);
                ours.Add(sw.Elapsed.TotalSeconds);
            }
        }
        double oursPeakMiB = RssMiB("VmHWM:");
        Console.WriteLine($"  ours T5: {string.Join(" ", ours.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s, peak RSS {oursPeakMiB:F0} MiB");
        // Float32 weights take twice the BF16 files' bytes.
        bool runConverted = t5Converted == "yes" || (t5Converted == "auto" && 2 * weightBytes <= 10e9);
        if (!runConverted)
            Console.WriteLine(t5Converted == "no" ? "  PyTorch T5 --converted skipped (--t5-converted no)"
                : $"  PyTorch T5 --converted skipped: float32 weights would take {2 * weightBytes / 1e9:F1} GB");
        foreach (string blas in blases)
        foreach (bool converted in runConverted ? new[] { false, true } : new[] { false })
        {
            string loadTheirs = LoadAverage();
            var arguments = new List<string> { "encode", t5Dir, idsPath, output, "--time", repeats.ToString(), "--threads", threads.ToString() };
            if (converted) arguments.Add("--converted");
            string run = RunPython(Path.Combine(python, "t5_reference.py"), blas, threads, [.. arguments]);
            var theirs = Times(run, skip: 0);
            string theirPeak = run.Split('\n').FirstOrDefault(l => l.StartsWith("PEAK_RSS_KB ", StringComparison.Ordinal)) is { } peakLine
                ? $"{long.Parse(peakLine[12..].Trim()) / 1024.0:F0} MiB" : "?";
            Console.WriteLine($"  PyTorch T5 ({BlasName(blas)}{(converted ? ", --converted" : "")}): {string.Join(" ", theirs.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s, {run.Split('\n').FirstOrDefault(l => l.StartsWith("BLAS ", StringComparison.Ordinal))}, peak {theirPeak}");
            byte[] raw = File.ReadAllBytes(output);
            var values = new float[raw.Length / 4];
            Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
            using var reference = tensor(values, new long[] { batch, length, 4096 });
            string agreement = Agreement(hidden!, reference);
            rows.Add($"| T5 v1.1 XXL shape, {t5Layers} layers, batch {batch} x {length} tokens; PyTorch with {BlasName(blas)}, {(converted ? "float32 weights converted at load" : "BF16 weights upcast at use, as ours")} | " +
                     $"{ours.Min():F2} s | {theirs.Min():F2} s | **{ours.Min() / theirs.Min():F2}x** (target <= 1.0) | {agreement} | {oursPeakMiB:F0} / {theirPeak} | {load} / {loadTheirs} |");
            Console.WriteLine(rows[^1]);
        }
        hidden?.Dispose();
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}
Console.WriteLine();
Console.WriteLine("| what | ours (forward) | PyTorch 1.13 reference (forward) | ours / PyTorch | outputs | peak RSS ours / PyTorch | load average before ours / before PyTorch |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var row in rows) Console.WriteLine(row);
Console.WriteLine($"load average at end: {LoadAverage()}");
return 0;

// Largest difference against the largest value, so the two sides are known to compute the same function.
static string Agreement(Tensor ours, Tensor reference)
{
    if (!ours.shape.SequenceEqual(reference.shape)) throw new InvalidOperationException($"shapes differ: [{string.Join(",", ours.shape)}] vs [{string.Join(",", reference.shape)}]");
    float scale = reference.abs().max().item<float>();
    float diff = ours.sub(reference).abs().max().item<float>();
    return $"max abs diff {diff:G3} of max {scale:G3}";
}

// The seconds of each run from the script's "TIME [chunk length] s s ..." line.
static double[] Times(string output, int skip)
{
    string line = output.Split('\n').FirstOrDefault(l => l.StartsWith("TIME ", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("no TIME line in: " + output);
    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1 + skip).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
}

// "system", or the folder of the libblas.so.3 the reference runs with.
static string BlasName(string blas) =>
    blas == "system" ? "Debian's reference BLAS (libblas3)"
    : Directory.GetFiles(blas, "libopenblas*").Length > 0 ? "OpenBLAS" : $"the libblas.so.3 of {blas}";

static double RssMiB(string field) =>
    File.ReadLines("/proc/self/status").Where(l => l.StartsWith(field, StringComparison.Ordinal))
        .Select(l => long.Parse(l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0).Single();

static string RunPython(string script, string blas, int threads, params string[] arguments)
{
    var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
    if (blas != "system")
    {
        if (!File.Exists(Path.Combine(blas, "libblas.so.3"))) throw new InvalidOperationException($"no libblas.so.3 in {blas}");
        psi.Environment["LD_LIBRARY_PATH"] = blas;
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
    }
    psi.ArgumentList.Add(script);
    foreach (var a in arguments) psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    var stderr = p.StandardError.ReadToEndAsync();
    string stdout = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(script)} failed ({p.ExitCode}): {stderr.Result}");
    return stdout;
}



string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
