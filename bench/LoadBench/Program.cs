// Loading benchmark: load time against reading the weight files from a warm page cache, and peak resident memory
// against the model's bytes, for T5 v1.1 XXL (then, optionally, tokens/s of 498-token texts) or CogVideoX-5b's VAE.
//   dotnet run -c Release --project bench/LoadBench -- [--model t5|vae] [--layers 2] [--dir PATH] [--keep] [--texts 0] [--batch 4] [--old] [--loaders read,map,worker] [--thp] [--omp-passive] [--tile-mib N]
// The parent writes random BF16 weights of XXL's exact shapes (two shards and an index, as the real checkpoint;
// RealSizeModels, shared with the tests) unless --dir already holds them, reads every file twice (the second
// read is the warm figure), then loads in a child process of its own so that its peak RSS (VmHWM) is the load's.
// Loaders: read (each weight read into new memory), map (each weight a view of its file's mapped pages,
// WeightFileMap, where the loaders use it) and worker (map, in the worker's order: the child first reads a request
// file as the worker does before its first load, then starts libtorch and loads, the VAE through the latents
// stage's own call, LatentEncoder.Load); --old also loads the way the loader did before (float32 modules with
// random initialisation, copied over). --thp starts the children with THP_MEM_ALLOC_ENABLE=1 (libtorch's allocator
// then advises transparent huge pages for allocations of 2 MiB and more); the children print AnonHugePages.
// --omp-passive starts them with OMP_WAIT_POLICY=PASSIVE; --tile-mib N sets the T5's upcast tile
// (WeightUpcastBuffer.TileBytes; 0: one matmul per weight, as before tiling).
using static BenchSupport;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Worker;
using VideoDataset.Tests.Support;
using static TorchSharp.torch;

const string ChildFlag = "--load-one";
if (args.Length > 0 && args[0] == ChildFlag)
    return LoadOne(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]));

string modelKind = Option("--model", "t5");
ChildOptions.OmpPassive = args.Contains("--omp-passive");
ChildOptions.TileMiB = Option("--tile-mib", "") is { Length: > 0 } tile ? tile : null;
int layers = int.Parse(Option("--layers", "2"));
int texts = int.Parse(Option("--texts", "0"));
int batch = int.Parse(Option("--batch", "4"));
bool keep = args.Contains("--keep");
string dir = Option("--dir", Path.Combine(Path.GetTempPath(), modelKind == "vae" ? "loadbench-vae5b" : $"loadbench-xxl-{layers}"));
bool wrote = false;
try
{
    Console.WriteLine(modelKind == "vae"
        ? $"LoadBench: CogVideoX-5b VAE (encoder and decoder keys, BF16, one file), encoder loaded, CPU float32 compute, {Environment.ProcessorCount} cores"
        : $"LoadBench: T5 v1.1 XXL shapes, {layers} layers, BF16 in two shards, CPU float32 compute, {Environment.ProcessorCount} cores, {torch.get_num_threads()} torch threads");
    Console.WriteLine($"load average at start: {LoadAverage()}");
    if (modelKind == "vae" ? !File.Exists(Path.Combine(dir, "diffusion_pytorch_model.safetensors"))
        : !File.Exists(Path.Combine(dir, "model.safetensors.index.json")) || !File.ReadAllText(Path.Combine(dir, "config.json")).Contains($"\"num_layers\": {layers},"))
    {
        var write = Stopwatch.StartNew();
        if (modelKind == "vae") RealSizeModels.WriteCogVideoX5bVae(dir);
        else RealSizeModels.WriteT5Xxl(dir, layers);
        wrote = true;
        Console.WriteLine($"wrote the weights in {write.Elapsed.TotalSeconds:F1} s");
    }
    var files = Directory.GetFiles(dir, "*.safetensors").Order().ToArray();
    long fileBytes = files.Sum(f => new FileInfo(f).Length);
    // Read three times: the first may come from disk; the second and third show whether the cache is warm (both
    // about the same) and the faster one is the baseline.
    double firstRead = ReadAll(files, freshMemory: false), secondRead = ReadAll(files, freshMemory: false), thirdRead = ReadAll(files, freshMemory: false);
    double warmRead = Math.Min(secondRead, thirdRead), warmReadFresh = ReadAll(files, freshMemory: true);
    Console.WriteLine($"weight files: {fileBytes / 1e9:F2} GB; read {firstRead:F2} s, then {secondRead:F2} s and {thirdRead:F2} s ({fileBytes / 1e9 / warmRead:F2} GB/s warm) into one reused buffer, {warmReadFresh:F2} s into new memory");

    var rows = new List<string>();
    var loaders = Option("--loaders", "read,map,worker").Split(',', StringSplitOptions.RemoveEmptyEntries);
    foreach (string mode in args.Contains("--old") ? loaders.Prepend("old") : loaders)
    {
        string load = LoadAverage();
        var r = Child(dir, modelKind == "vae" ? mode + "-vae" : mode, texts, batch, args.Contains("--thp"));
        double modelMiB = r.ModelBytes / 1048576.0;
        rows.Add(FormattableString.Invariant(
            $"| {(modelKind == "vae" ? "VAE 5b" : $"T5-XXL {layers}")} | {mode switch { "old" => "before: float32 modules, random init, copy", "read" => "meta device, read into new memory, BF16 kept", "worker" => "files mapped, in the worker's order (request read first)", _ => "meta device, files mapped, BF16 kept" }} | {fileBytes / 1e9:F2} | {secondRead:F2}, {thirdRead:F2} / {warmReadFresh:F2} | {r.LoadSeconds:F3} | {r.LoadSeconds / warmRead:F2} / {r.LoadSeconds / warmReadFresh:F2} | {modelMiB:F0} | {r.BaseMiB:F0} | {r.PeakMiB:F0} | {(r.PeakMiB - r.BaseMiB) / modelMiB:F3} | {r.PeakMiB / modelMiB:F3} | {(r.TokensPerSecond > 0 ? $"{r.TokensPerSecond:F1} ({texts} texts, batch {batch}, peak {r.EncodePeakMiB:F0} MiB)" : "-")} | {load} |"));
    }
    Console.WriteLine();
    Console.WriteLine("| model (layers) | loader | weight files (GB) | warm read: reused buffer (2 runs) / new memory (s) | load (s) | load / warm read (reused / new) | model in memory (MiB) | RSS before load (MiB) | peak RSS during load (MiB) | (peak - before) / model | peak / model | tokens/s (498-token texts) | load average before |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (var row in rows) Console.WriteLine(row);
    Console.WriteLine($"load average at end: {LoadAverage()}");
    return 0;
}
finally
{
    if (!keep && (wrote || !args.Contains("--dir"))) Directory.Delete(dir, recursive: true);
}

// Sequential reads of every file: into one reused 16 MiB buffer (what the loader cannot beat), or into new memory
// the size of the files, 256 MiB at a time, as any reader that keeps what it reads must (page faults included).
static unsafe double ReadAll(string[] files, bool freshMemory)
{
    const int Block = 256 << 20;
    var reused = new byte[16 << 20];
    var blocks = new List<IntPtr>();
    var clock = Stopwatch.StartNew();
    try
    {
        foreach (var f in files)
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            while (true)
            {
                Span<byte> target = reused;
                if (freshMemory)
                {
                    var block = (IntPtr)System.Runtime.InteropServices.NativeMemory.Alloc(Block);
                    blocks.Add(block);
                    target = new Span<byte>((void*)block, Block);
                }
                int n = stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
                if (n < target.Length) break;
            }
        }
        return clock.Elapsed.TotalSeconds;
    }
    finally
    {
        foreach (var b in blocks) System.Runtime.InteropServices.NativeMemory.Free((void*)b);
    }
}

// The child: start torch, note the RSS, load (timed), note the peak; then encode if asked.
static int LoadOne(string dir, string mode, int texts, int batch)
{
    bool asWorker = mode.StartsWith("worker", StringComparison.Ordinal);
    VideoDataset.Core.Models.WeightFileMap.Enabled = asWorker || mode.StartsWith("map", StringComparison.Ordinal);
    // The worker reads its request before it starts libtorch and loads its model: the same call on a request the
    // parent wrote as the build's tasks do (this process only reads it, as the worker does).
    if (asWorker) _ = WorkerRequest.Load(Environment.GetEnvironmentVariable("LOADBENCH_REQUEST")!);
    if (Environment.GetEnvironmentVariable("LOADBENCH_TILE_MIB") is { Length: > 0 } tileMiB)
        VideoDataset.Core.Models.WeightUpcastBuffer.TileBytes = (long)(double.Parse(tileMiB, CultureInfo.InvariantCulture) * 1048576);
    Console.WriteLine($"child: upcast tiles of {VideoDataset.Core.Models.WeightUpcastBuffer.TileBytes / 1048576.0} MiB (0: one matmul per weight), OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(libgomp's default)"}");
    using (var warmUp = torch.ones(1)) { } // libtorch loaded and initialised before the baseline
    double baseline = RssMiB("VmRSS:");
    var clock = Stopwatch.StartNew();
    if (mode.EndsWith("-vae", StringComparison.Ordinal))
    {
        // The latents stage's own call (LatentEncoder.Load: VaeLoader.LoadEncoder in float32 on the CPU).
        using var latentEncoder = asWorker ? LatentEncoder.Load(dir, CPU) : null;
        using var loaded = latentEncoder is null ? mode == "old-vae" ? LoadVaeTheOldWay(dir) : VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32) : null;
        double vaeSeconds = clock.Elapsed.TotalSeconds;
        var encoder = latentEncoder?.Encoder ?? loaded!;
        long bytes = encoder.parameters().Sum(p => p.numel() * p.element_size());
        Console.Error.WriteLine(FormattableString.Invariant($"  loaded in {vaeSeconds:F2} s, RSS before {baseline:F0} MiB, peak {RssMiB("VmHWM:"):F0} MiB (now anonymous {RssMiB("RssAnon:"):F0}, file pages {RssMiB("RssFile:"):F0}, huge pages {HugeMiB():F0}), model {bytes / 1048576.0:F0} MiB"));
        Console.WriteLine(FormattableString.Invariant($"RESULT {vaeSeconds:R} {baseline:R} {RssMiB("VmHWM:"):R} {bytes} 0 {RssMiB("VmHWM:"):R}"));
        return 0;
    }
    // (The text stage's T5TextEncoder.Load makes the same T5EncoderModel.Load call.)
    using var model = mode == "old" ? LoadTheOldWay(dir) : T5EncoderModel.Load(dir, CPU, ScalarType.Float32);
    double seconds = clock.Elapsed.TotalSeconds;
    double peak = RssMiB("VmHWM:");
    long modelBytes = model.parameters().Sum(p => p.numel() * p.element_size());
    // Shown at once (stderr is not redirected): a long encoding run that is cut short keeps the load figures.
    Console.Error.WriteLine(FormattableString.Invariant($"  loaded in {seconds:F2} s, RSS before {baseline:F0} MiB, peak {peak:F0} MiB (now anonymous {RssMiB("RssAnon:"):F0}, file pages {RssMiB("RssFile:"):F0}, huge pages {HugeMiB():F0}), model {modelBytes / 1048576.0:F0} MiB"));
    double tokensPerSecond = 0;
    if (texts > 0)
    {
        var random = new Random(498);
        var ids = Enumerable.Range(0, texts).Select(_ => Enumerable.Range(0, 498).Select(i => i == 497 ? 1 : random.Next(2, 32128)).ToArray()).ToList();
        using var encoder = new T5TextEncoder(model, CPU, ScalarType.Float32, batch);
        clock.Restart();
        var outputs = encoder.Encode(ids);
        tokensPerSecond = texts * 498 / clock.Elapsed.TotalSeconds;
        // The embeddings' bits, to show that the loaders and the allocator settings compute the same.
        using var sha = System.Security.Cryptography.SHA256.Create();
        foreach (var output in outputs) sha.TransformBlock(output.Bytes, 0, output.Bytes.Length, null, 0);
        sha.TransformFinalBlock([], 0, 0);
        Console.Error.WriteLine(FormattableString.Invariant($"  encoded {texts} x 498 tokens in {clock.Elapsed.TotalSeconds:F1} s: {tokensPerSecond:F2} tokens/s, peak {RssMiB("VmHWM:"):F0} MiB (huge pages now {HugeMiB():F0} MiB), SHA-256 {Convert.ToHexString(sha.Hash!)[..16]}"));
    }
    Console.WriteLine(FormattableString.Invariant($"RESULT {seconds:R} {baseline:R} {peak:R} {modelBytes} {tokensPerSecond:R} {RssMiB("VmHWM:"):R}"));
    return 0;
}

// A request of the stage's form naming this model folder, written as the build's tasks write it (no items).
static string WriteRequest(string dir, string stage)
{
    string path = Path.Combine(Path.GetTempPath(), $"loadbench-request-{Environment.ProcessId}.json");
    var settings = new VideoDataset.Core.Dataset.DatasetSettings
    {
        EpisodeDir = "/data/episodes", AnnotationFile = "/data/annotations.txt", DatasetDir = "/data/dataset",
        VaeModelDir = stage == WorkerRequest.Latents ? dir : "", T5ModelDir = stage == WorkerRequest.Text ? dir : "",
        Fps = 8, SegmentSeconds = 6, FrameWidth = 720, FrameHeight = 480, VaeChunkFrames = 16, TextMaxLength = 226, TextBatchSize = 4,
        TorchDevice = "cpu", VideoDatasetIntermediateDir = "/data/obj/VideoDataset/",
    };
    File.WriteAllText(path, new WorkerRequest { Stage = stage, Settings = settings, Items = [] }.ToJson());
    return path;
}

// What T5EncoderModel.Load did before it built on the meta device: float32 modules initialised at random, each
// weight read into a managed array, copied into a tensor and converted into the parameter.
static T5EncoderModel LoadTheOldWay(string dir)
{
    var config = T5Config.Load(Path.Combine(dir, "config.json"));
    var checkpoint = T5Checkpoint.Open(dir);
    var model = new T5EncoderModel(config, CPU, ScalarType.Float32);
    using var noGrad = torch.no_grad();
    foreach (var (name, param) in model.named_parameters())
    {
        using var scope = torch.NewDisposeScope();
        var source = VideoDataset.Core.Tensors.TorchConvert.ToTorch(checkpoint.Read(name));
        param.copy_(source.to(param.dtype, param.device));
    }
    return model;
}

// What VaeLoader.LoadEncoder did before: a float32 encoder initialised at random, each weight copied over.
static CogVideoXEncoder3D LoadVaeTheOldWay(string dir)
{
    var config = VaeConfig.Load(Path.Combine(dir, VaeConfig.FileName));
    var weights = VideoDataset.Core.Tensors.SafetensorsCheckpoint.Open(dir, VaeLoader.WeightsFileName);
    var encoder = new CogVideoXEncoder3D(config);
    using var noGrad = torch.no_grad();
    foreach (var (name, target) in encoder.state_dict())
    {
        using var source = VideoDataset.Core.Tensors.TorchConvert.ToTorch(weights.Read("encoder." + name));
        target.copy_(source);
    }
    encoder.eval();
    return encoder;
}

static (double LoadSeconds, double BaseMiB, double PeakMiB, long ModelBytes, double TokensPerSecond, double EncodePeakMiB) Child(string dir, string mode, int texts, int batch, bool thp)
{
    // Started the way this process was: the apphost directly, or `dotnet LoadBench.dll`.
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
    // libtorch's CPU allocator then advises transparent huge pages for its allocations of 2 MiB and more.
    if (thp) psi.Environment["THP_MEM_ALLOC_ENABLE"] = "1";
    if (ChildOptions.OmpPassive) psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
    if (ChildOptions.TileMiB is { } tileMiB) psi.Environment["LOADBENCH_TILE_MIB"] = tileMiB;
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
    foreach (var a in new[] { ChildFlag, dir, mode, texts.ToString(), batch.ToString() }) psi.ArgumentList.Add(a);
    string? request = mode.StartsWith("worker", StringComparison.Ordinal)
        ? WriteRequest(dir, mode == "worker-vae" ? WorkerRequest.Latents : WorkerRequest.Text) : null;
    if (request is not null) psi.Environment["LOADBENCH_REQUEST"] = request;
    string output;
    using (var p = Process.Start(psi)!)
    {
        output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (request is not null) File.Delete(request);
        if (p.ExitCode != 0) throw new InvalidOperationException($"child failed ({p.ExitCode}): {output}");
    }
    string? result = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
    if (result is null) throw new InvalidOperationException($"child printed no result: {output}");
    Console.WriteLine($"  {mode}: {result}");
    var f = result.Split(' ');
    double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
    return (D(1), D(2), D(3), long.Parse(f[4]), D(5), D(6));
}


// Anonymous memory in transparent huge pages (MiB).
static double HugeMiB() =>
    long.Parse(File.ReadLines("/proc/self/smaps_rollup").First(l => l.StartsWith("AnonHugePages:", StringComparison.Ordinal))
        .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;

string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

// Settings the parent passes to each child through its environment.
static class ChildOptions
{
    public static bool OmpPassive;
    public static string? TileMiB;
}
