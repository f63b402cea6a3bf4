// Side by side: our CPU VAE encoder and T5 encoder against the repository's PyTorch references
// (tests/VideoDataset.Tests/python/vae_reference.py and t5_reference.py, /usr/bin/python3) on the same inputs and
// the same weight files, in one run, with the same number of torch threads.
//   dotnet run -c Release --project bench/ReferenceBench -- [--models vae,t5] [--vae-sizes 96x64,720x480]
//       [--frames 49] [--chunk 16] [--t5-layers 2] [--batch 1] [--length 498] [--repeats 2] [--threads N]
//       [--t5-dir DIR] [--t5-converted auto|yes|no] [--reference-blas system,DIR] [--reference-wait default,passive]
//       [--runtime worker|default] [--rounds N] [--keep]
// Weights: CogVideoX-5b's VAE and T5 v1.1 XXL's shape (--t5-layers of 24), random BF16, written by RealSizeModels
// as the tests write them. Inputs: a uniform random video in [-1, 1] (float32 [1, 3, frames, H, W]) and uniform
// random token ids. Timed on both sides: the forward pass only (ours: CogVideoXEncoder3D.Encode with the chunk
// length, T5EncoderModel.forward; theirs: the script's --time mode), --repeats runs each, the fastest counts.
// --rounds N (VAE): ours and then every reference, N times over; each round's ratio is of its fastest runs, and the
// table gives the median of the rounds with their range. Loading is not timed. The references convert the VAE's
// weights to float32 at load; the T5 reference is timed twice, upcasting each weight at use (as stored, as ours
// does) and with --converted (float32 at load).
// The outputs are compared too, so that the two sides are known to compute the same thing.
// --reference-blas: the BLAS libraries the references run with, one run each: "system" (Debian's python3-torch
// links the unoptimised reference BLAS, libblas3, through which every float32 matmul goes) or a folder holding
// another libblas.so.3 (OpenBLAS: `apt-get download libopenblas0-pthread; dpkg-deb -x`), put first on the
// reference's LD_LIBRARY_PATH with OPENBLAS_NUM_THREADS set to the thread count. Ours is TorchSharp's libtorch (MKL).
// --t5-dir reuses T5 weights already written (LoadBench --keep); --t5-converted auto skips the float32-at-load
// reference when its weights alone would exceed 10 GB (24 layers: 19 GB), where the upcast-at-use one needs 9.5 GB.
// Diagnostic modes (--models ops, hash, slices, mem, chunks) profile our encoder alone; see bench/README.md.
using static BenchSupport;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using VideoDataset.Core.Models;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Tests.Support;
using static TorchSharp.torch;

string[] models = Option("--models", "vae,t5").Split(',');
// Before the first torch call: libtorch's runtime reads these when it loads. "worker" runs our VAE with the settings the
// worker's latents stage uses (NativeRuntimeSettings.VaeCpu); the T5 stage runs without them, so a run with t5 does too.
string runtime = Option("--runtime", models.Contains("t5") || models.Contains("linear") ? "default" : "worker");
bool runtimeApplied = runtime == "worker" && NativeRuntimeSettings.Apply(NativeRuntimeSettings.VaeCpu);
string[] referenceWaits = Option("--reference-wait", "default").Split(',');
string[] vaeSizes = Option("--vae-sizes", "96x64").Split(',');
int frames = int.Parse(Option("--frames", "49"));
int chunk = int.Parse(Option("--chunk", "16"));
int t5Layers = int.Parse(Option("--t5-layers", "2"));
int batch = int.Parse(Option("--batch", "1"));
int length = int.Parse(Option("--length", "498"));
int repeats = int.Parse(Option("--repeats", "2"));
int rounds = int.Parse(Option("--rounds", "1"));
string t5DirOption = Option("--t5-dir", "");
string t5Converted = Option("--t5-converted", "auto");
string[] blases = Option("--reference-blas", "system").Split(',');
if (Option("--threads", "") is { Length: > 0 } t) set_num_threads(int.Parse(t));
int threads = get_num_threads();
if (Option("--slice-above", "") is { Length: > 0 } above) CogVideoXCausalConv3d.BandAboveBytes = long.Parse(above);
if (Option("--slice-bytes", "") is { Length: > 0 } sliceBytes) CogVideoXCausalConv3d.BandBytes = long.Parse(sliceBytes);

string repo = FindRepo();
string python = Path.Combine(repo, "tests/VideoDataset.Tests/python");
string dir = Path.Combine(Path.GetTempPath(), "referencebench-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
var rows = new List<string>();
Console.WriteLine($"ReferenceBench: CPU float32, torch threads {threads} on both sides, {Environment.ProcessorCount} cores, {repeats} runs each (fastest counts)");
Console.WriteLine($"load average at start: {LoadAverage()}");
Console.WriteLine($"our native runtime: {(runtimeApplied ? string.Join(" ", NativeRuntimeSettings.VaeCpu.Select(v => $"{v.Key}={NativeRuntimeSettings.Get(v.Key)}")) + " (the worker's latents stage)" : "libtorch's defaults")}");
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

            // --rounds N: ours, then every reference, N times over, so that both sides of each ratio ran minutes apart
            // at most; the VM's speed drifts more than that between the first and the last of one long run.
            string load = LoadAverage();
            var variants = blases.SelectMany(blas => referenceWaits.Select(wait => (Blas: blas, Wait: wait))).ToArray();
            var ratios = variants.Select(_ => new List<(double Wall, double Cpu)>()).ToArray();
            var oursBest = (Wall: double.MaxValue, Cpu: double.MaxValue);
            var theirsBest = variants.Select(_ => (Wall: double.MaxValue, Cpu: double.MaxValue)).ToArray();
            var agreements = new string[variants.Length];
            var loadsTheirs = new string[variants.Length];
            using var encoder = VaeLoader.LoadEncoder(vaeDir, CPU, ScalarType.Float32);
            for (int round = 0; round < rounds; round++)
            {
                var ours = new List<double>();
                var oursCpu = new List<double>();
                Tensor? latent = null;
                using (no_grad())
                {
                    for (int i = 0; i < repeats; i++)
                    {
                        latent?.Dispose();
                        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                        var sw = Stopwatch.StartNew();
                        latent = encoder.Encode(video, chunk);
                        ours.Add(sw.Elapsed.TotalSeconds);
                        oursCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
                    }
                }
                Console.WriteLine($"  round {round + 1}: ours {size}: {Seconds(ours)} s, CPU {Seconds(oursCpu)} s");
                oursBest = (Math.Min(oursBest.Wall, ours.Min()), Math.Min(oursBest.Cpu, oursCpu.Min()));
                using var mine = latent!.squeeze(0).permute(1, 0, 2, 3).contiguous();
                latent.Dispose();
                for (int v = 0; v < variants.Length; v++)
                {
                    var (blas, wait) = variants[v];
                    loadsTheirs[v] ??= LoadAverage();
                    string script = RunPython(Path.Combine(python, "vae_reference.py"), blas, threads, wait, vaeDir, input, chunk.ToString(), output,
                        "--time", repeats.ToString(), "--threads", threads.ToString());
                    var theirs = Times(script, skip: 1);
                    var theirsCpu = Times(script, skip: 1, prefix: "CPU ");
                    var ratio = (Wall: ours.Min() / theirs.Min(), Cpu: oursCpu.Min() / theirsCpu.Min());
                    ratios[v].Add(ratio);
                    theirsBest[v] = (Math.Min(theirsBest[v].Wall, theirs.Min()), Math.Min(theirsBest[v].Cpu, theirsCpu.Min()));
                    Console.WriteLine($"  round {round + 1}: PyTorch {size} ({BlasName(blas)}, OpenMP wait {wait}): {Seconds(theirs)} s, CPU {Seconds(theirsCpu)} s; " +
                        $"ours / PyTorch {ratio.Wall:F2}x, CPU {ratio.Cpu:F2}x");
                    using var reference = TorchConvert.ToTorch(SafetensorsFile.Open(output).Read($"latent_{chunk}"));
                    agreements[v] = Agreement(mine, reference);
                }
            }
            for (int v = 0; v < variants.Length; v++)
            {
                var (blas, wait) = variants[v];
                // One round: the fastest of each side, as before. Several: the median of the rounds' ratios, and their range.
                string cpuRatios = rounds == 1 ? $"CPU **{ratios[v][0].Cpu:F2}x**"
                    : $"CPU median **{Median(ratios[v].Select(r => r.Cpu)):F2}x** of {rounds} rounds ({ratios[v].Min(r => r.Cpu):F2}–{ratios[v].Max(r => r.Cpu):F2}x)";
                string wallRatio = rounds == 1 ? $"{ratios[v][0].Wall:F2}x" : $"median {Median(ratios[v].Select(r => r.Wall)):F2}x";
                rows.Add($"| CogVideoX-5b VAE encoder, {size}, {frames} frames, chunk {chunk}; ours with {(runtimeApplied ? "the worker's runtime settings" : "libtorch's defaults")}; PyTorch with {BlasName(blas)}, OpenMP wait {wait} | {oursBest.Wall:F2} s (CPU {oursBest.Cpu:F2} s) | {theirsBest[v].Wall:F2} s (CPU {theirsBest[v].Cpu:F2} s) | **{wallRatio}** ({cpuRatios}; target <= 0.70) | {agreements[v]} | - | {load} / {loadsTheirs[v]} |");
                Console.WriteLine(rows[^1]);
            }
        }
    }
    if (models.Contains("ops"))
    {
        using var _ = no_grad();
        manual_seed(0);
        foreach (var (c, T, H, W) in new[] { (128L, 17L, 64L, 96L), (256L, 9L, 32L, 48L), (256L, 5L, 16L, 24L), (512L, 5L, 8L, 12L) })
        {
            using var x = randn(new long[] { 1, c, T, H, W });
            using var xp = randn(new long[] { 1, c, T + 2, H, W });
            using var w = randn(new long[] { c, c, 3, 3, 3 }).mul_(0.01);
            using var b = randn(new long[] { c });
            using var wb = w.to(ScalarType.BFloat16);
            using var ones = torch.ones(c); using var zeros = torch.zeros(c);
            Op($"conv3d c{c} T{T} {H}x{W}", () => nn.functional.conv3d(xp, w, b, padding: new long[] { 0, 1, 1 }));
            // Channels-last input and weight: faster or not, its output bits must match the contiguous call to be usable.
            using var xpl = xp.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3);
            using var wl = w.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3);
            using (var y0 = nn.functional.conv3d(xp, w, b, padding: new long[] { 0, 1, 1 }))
            using (var y1 = nn.functional.conv3d(xpl, wl, b, padding: new long[] { 0, 1, 1 }))
            using (var diff = y0.sub(y1).abs().max())
                Console.WriteLine($"  channels-last: max difference from the contiguous call {diff.item<float>()}");
            Op("conv3d channels-last", () => nn.functional.conv3d(xpl, wl, b, padding: new long[] { 0, 1, 1 }));
            Op("group_norm", () => nn.functional.group_norm(x, 32, ones, zeros, 1e-6));
            Op("silu", () => nn.functional.silu(x));
            Op("cat pad", () => { using var f = x.narrow(2, 0, 1); return cat(new[] { f, f, x }, 2); });
            Op("upcast w", () => wb.to(ScalarType.Float32));
        }
    }
    if (models.Contains("mem"))
    {
        // Peak RSS of each part of the encoder on one first chunk (--frames) at the first of --vae-sizes, in units of
        // A, one 128-channel float32 activation of that chunk at full resolution.
        using var _ = no_grad();
        int[] wh = vaeSizes[0].Split('x').Select(int.Parse).ToArray();
        double a = 128.0 * frames * wh[0] * wh[1] * 4 / 1048576.0;
        Console.WriteLine($"A = {a:F1} MiB");
        if (Option("--parts", "") == "blocks")
        {
            using var x = randn(new long[] { 1, 128, frames, wh[1], wh[0] });
            using var block = new CogVideoXResnetBlock3D(128, 128, 32, 1e-6);
            block.eval();
            Mem("resnet block 128, first chunk", a, () => block.forward(x));
            Last!.Dispose();
            Mem("resnet block 128, next chunk", a, () => block.forward(x));
            Last!.Dispose();
            using var down = new CogVideoXDownsample3D(128, 128, true);
            Mem("downsample", a, () => down.forward(x));
            Last!.Dispose();
            return 0;
        }
        string vaeDir = Path.Combine(dir, "vae");
        RealSizeModels.WriteCogVideoX5bVae(vaeDir);
        using var encoder = VaeLoader.LoadEncoder(vaeDir, CPU, ScalarType.Float32);
        using var video = rand(new long[] { 1, 3, frames, wh[1], wh[0] }).mul(2).sub(1);
        Tensor h = video.alias();
        foreach (var (name, m) in encoder.named_children())
        {
            if (m is ModuleList<CogVideoXDownBlock3D> blocks)
            {
                for (int i = 0; i < blocks.Count; i++) { var input = h; Mem($"down_blocks.{i}", a, () => blocks[i].forward(input)); h = Last!; input.Dispose(); }
                continue;
            }
            if (name == "norm_out") { var input = h; Mem("norm_out+silu", a, () => nn.functional.group_norm(input, 32, null, null, 1e-6).silu_()); h = Last!; input.Dispose(); continue; }
            { var input = h; Mem(name, a, () => ((nn.Module<Tensor, Tensor>)m).forward(input)); h = Last!; input.Dispose(); }
        }
        encoder.ResetCache();
        Mem("whole chunk (forward)", a, () => encoder.forward(video));
        Last!.Dispose();
    }
    if (models.Contains("chunks"))
    {
        // Peak RSS of each chunk of a sequence (--chunk-frames 1,16: a short first chunk fills every causal cache, then
        // a full chunk runs with all of them held, as every chunk after the first does), at the first of --vae-sizes,
        // with the SHA-256 of the latents of the whole sequence.
        using var _ = no_grad();
        int[] wh = vaeSizes[0].Split('x').Select(int.Parse).ToArray();
        int[] counts = Option("--chunk-frames", "1,16").Split(',').Select(int.Parse).ToArray();
        string vaeDir = Path.Combine(dir, "vae");
        RealSizeModels.WriteCogVideoX5bVae(vaeDir);
        using var encoder = VaeLoader.LoadEncoder(vaeDir, CPU, ScalarType.Float32);
        Console.WriteLine($"model loaded: RSS {Kib("VmRSS:") / 1024} MiB, peak {Kib("VmHWM:") / 1024} MiB, load average {LoadAverage()}");
        manual_seed(2024);
        using var video = rand(new long[] { 1, 3, counts.Sum(), wh[1], wh[0] }).mul(2).sub(1);
        var latents = new List<Tensor>();
        int start = 0;
        foreach (int count in counts)
        {
            using var part = video.narrow(2, start, count);
            start += count;
            File.WriteAllText("/proc/self/clear_refs", "5");
            long before = Kib("VmRSS:");
            var sw = Stopwatch.StartNew();
            latents.Add(encoder.forward(part));
            Console.WriteLine($"CHUNK {vaeSizes[0]} {count} frames: {sw.Elapsed.TotalSeconds:F1} s, peak RSS {Kib("VmHWM:") / 1024} MiB " +
                $"(RSS before {before / 1024} MiB, after {Kib("VmRSS:") / 1024} MiB), load average {LoadAverage()}");
        }
        using var all = cat(latents, 2);
        Console.WriteLine($"HASH {vaeSizes[0]} chunks {string.Join(",", counts)}: {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(all.contiguous().bytes))}");
        foreach (var l in latents) l.Dispose();
    }
    if (models.Contains("slices"))
    {
        // CogVideoXCausalConv3d in bands of rows against one call, bit for bit, at --vae-sizes, --frames input frames
        // (18 and 19 padded frames are the shapes of window 16), each of --band-rows (the band height it asks for).
        using var _ = no_grad();
        long[] bandRows = Option("--band-rows", "16,19,24,37").Split(',').Select(long.Parse).ToArray();
        foreach (string size in vaeSizes)
        {
            int[] wh = size.Split('x').Select(int.Parse).ToArray();
            manual_seed(1);
            using var conv = new CogVideoXCausalConv3d(128, 128);
            using var x = randn(new long[] { 1, 128, frames, wh[1], wh[0] });
            long padded = 128L * (frames + 2) * wh[0] * wh[1] * 4;
            string hash;
            var sw = Stopwatch.StartNew();
            CogVideoXCausalConv3d.BandAboveBytes = long.MaxValue;
            File.WriteAllText("/proc/self/clear_refs", "5");
            long before = Kib("VmRSS:");
            using (var whole = conv.forward(x))
                hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(whole.bytes));
            Console.WriteLine($"{size} {frames} frames, one call: {hash[..16]} ({sw.Elapsed.TotalSeconds:F1} s, peak {(Kib("VmHWM:") - before) / 1024} MiB above the input)");
            foreach (long askRows in bandRows)
            {
                conv.ResetCache();
                CogVideoXCausalConv3d.BandAboveBytes = 0;
                CogVideoXCausalConv3d.MinBandRows = askRows;
                CogVideoXCausalConv3d.BandBytes = padded / (wh[1] / askRows);
                sw.Restart();
                File.WriteAllText("/proc/self/clear_refs", "5");
                before = Kib("VmRSS:");
                using var banded = conv.forward(x);
                string h = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(banded.bytes));
                Console.WriteLine($"{size} {frames} frames, bands of {wh[1] / (wh[1] / askRows)}+ rows: {h[..16]} {(h == hash ? "SAME" : "DIFFERENT")} ({sw.Elapsed.TotalSeconds:F1} s, peak {(Kib("VmHWM:") - before) / 1024} MiB above the input)");
            }
        }
    }
    if (models.Contains("linear"))
    {
        // The T5's BF16 linear layers tiled (WeightUpcastBuffer.Linear) against one matmul over the whole upcast weight,
        // at T5-XXL's shapes: bits (byte compare of the outputs) and time, per torch thread count and tile size.
        string[] tokenSpecs = Option("--tokens", "1,7,64,498,2x498,1992").Split(',');
        int[] threadCounts = Option("--thread-counts", threads.ToString()).Split(',').Select(int.Parse).ToArray();
        double[] tileMiB = Option("--tile-mib", "0.5,1,2,4,8,16").Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        int linearRepeats = int.Parse(Option("--linear-repeats", "1"));
        // --row-quantum 16 shows why tiles are multiples of 64 rows (bench/README.md).
        if (Option("--row-quantum", "") is { Length: > 0 } quantum) WeightUpcastBuffer.RowQuantum = long.Parse(quantum);
        var shapes = Option("--shapes", "") is { Length: > 0 } shapeList
            ? shapeList.Split(',').Select(v => v.Split('x').Select(long.Parse).ToArray()).Select(v => ("weight", v[0], v[1])).ToArray()
            : new (string Name, long Out, long In)[] { ("q/k/v/o", 4096, 4096), ("wi_0/wi_1", 10240, 4096), ("wo", 4096, 10240) };
        long savedTile = WeightUpcastBuffer.TileBytes;
        int different = 0;
        using var noGrad = inference_mode();
        Console.WriteLine("| threads | weight [out, in] | tokens | tile | rows per tile | bits | time (ms) | one matmul (ms) | float32 weight, no upcast (ms, mean) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int threadCount in threadCounts)
        {
            set_num_threads(threadCount);
            foreach (var (name, outFeatures, inFeatures) in shapes)
            {
                using var layer = nn.Linear(inFeatures, outFeatures, hasBias: false, device: ModelWeights.Meta);
                manual_seed(outFeatures * 7 + inFeatures);
                ModelWeights.Assign(ModelWeights.ModulesByName(layer), "weight", randn(outFeatures, inFeatures).mul(0.05).to(ScalarType.BFloat16));
                foreach (string spec in tokenSpecs)
                {
                    long[] bl = spec.Contains('x') ? spec.Split('x').Select(long.Parse).ToArray() : [1, long.Parse(spec)];
                    manual_seed(bl[0] * 1000 + bl[1]);
                    using var input = randn(bl[0], bl[1], inFeatures);
                    double Time(long tileBytes, out Tensor result)
                    {
                        WeightUpcastBuffer.TileBytes = tileBytes;
                        Tensor? last = null;
                        double best = double.MaxValue;
                        using var upcast = WeightUpcastBuffer.Begin();
                        for (int i = 0; i < linearRepeats; i++)
                        {
                            last?.Dispose();
                            var sw = Stopwatch.StartNew();
                            last = ModelWeights.Linear(layer, input);
                            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
                        }
                        result = last!;
                        return best;
                    }
                    double whole = Time(0, out var expected);
                    double converted;
                    using (var f32 = layer.weight!.to(ScalarType.Float32))
                    {
                        nn.functional.linear(input, f32).Dispose();
                        var sw = Stopwatch.StartNew();
                        for (int i = 0; i < linearRepeats; i++) nn.functional.linear(input, f32).Dispose();
                        converted = sw.Elapsed.TotalMilliseconds / linearRepeats;
                    }
                    byte[] expectedBytes = expected.bytes.ToArray();
                    foreach (double mib in tileMiB)
                    {
                        long tileBytes = (long)(mib * (1 << 20));
                        WeightUpcastBuffer.TileBytes = tileBytes;
                        long tileRows = WeightUpcastBuffer.TileRows(inFeatures, 4);
                        double ms = Time(tileBytes, out var tiled);
                        using (tiled)
                        {
                            bool same = tiled.bytes.SequenceEqual(expectedBytes);
                            if (!same) different++;
                            string bits = same ? "same" : $"DIFFERENT (max abs diff {tiled.sub(expected).abs().max().item<float>():G3}, {tiled.ne(expected).sum().item<long>()} of {expected.numel()} elements; output features {Features(tiled.ne(expected))})";
                            Console.WriteLine($"| {threadCount} | {name} [{outFeatures}, {inFeatures}] | {spec} | {mib} MiB | {(tileRows >= outFeatures ? "whole weight" : outFeatures % WeightUpcastBuffer.RowQuantum != 0 ? "not tiled: rows not a multiple of the quantum" : tileRows.ToString())} | {bits} | {ms:F1} | {whole:F1} | {converted:F1} |");
                        }
                    }
                    expected.Dispose();
                }
            }
        }
        WeightUpcastBuffer.TileBytes = savedTile;
        set_num_threads(threads);
        Console.WriteLine($"LINEAR {(different == 0 ? "all tiled outputs have the bits of one matmul" : $"{different} tiled outputs DIFFER from one matmul")} (load {LoadAverage()})");
    }
    if (models.Contains("hash"))
    {
        // The encoder's output bits at real widths, to compare builds: SHA-256 of the float32 latents.
        string vaeDir = Path.Combine(dir, "vae");
        RealSizeModels.WriteCogVideoX5bVae(vaeDir);
        using var encoder = VaeLoader.LoadEncoder(vaeDir, CPU, ScalarType.Float32);
        foreach (string size in vaeSizes)
        {
            int[] wh = size.Split('x').Select(int.Parse).ToArray();
            manual_seed(2024);
            using var video = rand(new long[] { 1, 3, frames, wh[1], wh[0] }).mul(2).sub(1);
            // One run unless --repeats is given; later runs show the steady state of a worker that encodes video after video.
            for (int run = 0, runs = args.Contains("--repeats") ? repeats : 1; run < runs; run++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                long faults = MinorFaults();
                var sw = Stopwatch.StartNew();
                using var latent = encoder.Encode(video, chunk);
                double seconds = sw.Elapsed.TotalSeconds, cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                using var contiguous = latent.contiguous();
                string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(contiguous.bytes));
                Console.WriteLine($"HASH {size} {frames} frames chunk {chunk}: {hash} ({seconds:F1} s, CPU {cpuSeconds:F1} s, " +
                    $"{MinorFaults() - faults} page faults, peak RSS {Kib("VmHWM:") / 1024} MiB, load {LoadAverage()})");
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
        // --t5-tiles MiB,...: ours with each WeightUpcastBuffer.TileBytes (0: one matmul per weight), alternating run by run.
        long defaultTile = WeightUpcastBuffer.TileBytes;
        double[] tiles = Option("--t5-tiles", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).DefaultIfEmpty(defaultTile / 1048576.0).ToArray();
        var oursByTile = tiles.Select(_ => new List<double>()).ToArray();
        var cpuByTile = tiles.Select(_ => new List<double>()).ToArray();
        var hashByTile = new string?[tiles.Length];
        Tensor? hidden = null;
        using (var model = T5EncoderModel.Load(t5Dir, CPU, ScalarType.Float32))
        using (inference_mode())
        using (var input = tensor(ids.SelectMany(r => r.Select(i => (long)i)).ToArray(), new long[] { batch, length }, ScalarType.Int64))
        {
            for (int i = 0; i < repeats; i++)
            for (int k = 0; k < tiles.Length; k++)
            {
                WeightUpcastBuffer.TileBytes = (long)(tiles[k] * 1048576);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                var encoded = model.forward(input);
                oursByTile[k].Add(sw.Elapsed.TotalSeconds);
                cpuByTile[k].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
                hashByTile[k] ??= Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(encoded.bytes));
                if (k == 0 && hidden is null) hidden = encoded;
                else encoded.Dispose();
            }
        }
        WeightUpcastBuffer.TileBytes = defaultTile;
        double oursPeakMiB = RssMiB("VmHWM:");
        for (int k = 0; k < tiles.Length; k++)
            Console.WriteLine($"  ours T5, tiles of {tiles[k]} MiB: {Seconds(oursByTile[k])} s (CPU {Seconds(cpuByTile[k])} s), SHA-256 {hashByTile[k]}");
        Console.WriteLine($"  ours T5: peak RSS {oursPeakMiB:F0} MiB; outputs {(hashByTile.Distinct().Count() == 1 ? "bit-identical whatever the tile" : "DIFFER between tiles")}");
        var ours = oursByTile[0];
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
            string run = RunPython(Path.Combine(python, "t5_reference.py"), blas, threads, "default", [.. arguments]);
            var theirs = Times(run, skip: 0);
            string theirPeak = run.Split('\n').FirstOrDefault(l => l.StartsWith("PEAK_RSS_KB ", StringComparison.Ordinal)) is { } peakLine
                ? $"{long.Parse(peakLine[12..].Trim()) / 1024.0:F0} MiB" : "?";
            Console.WriteLine($"  PyTorch T5 ({BlasName(blas)}{(converted ? ", --converted" : "")}): {Seconds(theirs)} s, {run.Split('\n').FirstOrDefault(l => l.StartsWith("BLAS ", StringComparison.Ordinal))}, peak {theirPeak}");
            byte[] raw = File.ReadAllBytes(output);
            var values = new float[raw.Length / 4];
            Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
            using var reference = tensor(values, new long[] { batch, length, 4096 });
            string agreement = Agreement(hidden!, reference);
            for (int k = 0; k < tiles.Length; k++)
            {
                string oursName = tiles.Length > 1 || tiles[k] * 1048576 != defaultTile ? $" (ours: tiles of {tiles[k]} MiB)" : "";
                rows.Add($"| T5 v1.1 XXL shape, {t5Layers} layers, batch {batch} x {length} tokens; PyTorch with {BlasName(blas)}, {(converted ? "float32 weights converted at load" : "BF16 weights upcast at use, as ours")}{oursName} | " +
                         $"{oursByTile[k].Min():F2} s | {theirs.Min():F2} s | **{oursByTile[k].Min() / theirs.Min():F2}x** (target <= 1.0) | {agreement} | {oursPeakMiB:F0} / {theirPeak} | {load} / {loadTheirs} |");
                Console.WriteLine(rows[^1]);
            }
        }
        hidden?.Dispose();
    }
}
finally
{
    if (args.Contains("--keep")) Console.WriteLine($"kept {dir}");
    else Directory.Delete(dir, recursive: true);
}
Console.WriteLine();
Console.WriteLine("| what | ours (forward; CPU time of all threads) | PyTorch 1.13 reference (forward; CPU time) | ours / PyTorch (wall; CPU) | outputs | peak RSS ours / PyTorch | load average before ours / before PyTorch |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var row in rows) Console.WriteLine(row);
Console.WriteLine($"load average at end: {LoadAverage()}");
return 0;

// The output features (last dimension) where a mask is set, as ranges.
static string Features(Tensor mask)
{
    using var any = mask.reshape(-1, mask.shape[^1]).any(0);
    var set = Enumerable.Range(0, (int)any.shape[0]).Where(i => any[i].item<bool>()).ToList();
    var ranges = new List<string>();
    for (int i = 0; i < set.Count;)
    {
        int j = i;
        while (j + 1 < set.Count && set[j + 1] == set[j] + 1) j++;
        ranges.Add(set[i] == set[j] ? $"{set[i]}" : $"{set[i]}-{set[j]}");
        i = j + 1;
    }
    return string.Join(" ", ranges.Take(12)) + (ranges.Count > 12 ? " ..." : "");
}

// Largest difference against the largest value, so the two sides are known to compute the same function.
static string Agreement(Tensor ours, Tensor reference)
{
    if (!ours.shape.SequenceEqual(reference.shape)) throw new InvalidOperationException($"shapes differ: [{string.Join(",", ours.shape)}] vs [{string.Join(",", reference.shape)}]");
    float scale = reference.abs().max().item<float>();
    float diff = ours.sub(reference).abs().max().item<float>();
    return $"max abs diff {diff:G3} of max {scale:G3}";
}

// Seconds as the tables print them, two decimals each.
static string Seconds(IEnumerable<double> values) => string.Join(" ", values.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)));

static double Median(IEnumerable<double> values)
{
    var sorted = values.OrderBy(v => v).ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// The seconds of each run from the script's "TIME [chunk length] s s ..." line.
static double[] Times(string output, int skip, string prefix = "TIME ")
{
    string line = output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
        ?? throw new InvalidOperationException("no TIME line in: " + output);
    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1 + skip).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
}

static void Op(string name, Func<Tensor> f)
{
    f().Dispose();
    double best = double.MaxValue;
    for (int i = 0; i < 3; i++) { var sw = Stopwatch.StartNew(); f().Dispose(); best = Math.Min(best, sw.Elapsed.TotalMilliseconds); }
    Console.WriteLine($"{name,-40} {best,8:F1} ms");
}

static void Mem(string name, double a, Func<Tensor> f)
{
    File.WriteAllText("/proc/self/clear_refs", "5");
    double before = Kib("VmRSS:") / 1024.0;
    var y = f();
    Last = y;
    double peak = Kib("VmHWM:") / 1024.0, after = Kib("VmRSS:") / 1024.0;
    GC.Collect(); GC.WaitForPendingFinalizers();
    double collected = Kib("VmRSS:") / 1024.0;
    Console.WriteLine($"{name,-40} peak above before {peak - before,8:F0} MiB ({(peak - before) / a:F2} A), result {after - before:F0} MiB, after GC {collected - before:F0} MiB");
}

// "system", or the folder of the libblas.so.3 the reference runs with.
static string BlasName(string blas) =>
    blas == "system" ? "Debian's reference BLAS (libblas3)"
    : Directory.GetFiles(blas, "libopenblas*").Length > 0 ? "OpenBLAS" : $"the libblas.so.3 of {blas}";

// wait: "default" (libgomp's: spin, then sleep) or "passive" (OMP_WAIT_POLICY=PASSIVE, as our VAE runs).
static string RunPython(string script, string blas, int threads, string wait, params string[] arguments)
{
    var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
    if (wait == "passive") psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
    else if (wait != "default") throw new ArgumentException($"--reference-wait: expected default or passive, found '{wait}'");
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

partial class Program { static Tensor? Last; }
