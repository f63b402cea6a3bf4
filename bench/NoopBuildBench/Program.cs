// No-op build benchmark. Builds a dataset project of N annotation lines and videos
// whose outputs are already current, then times `dotnet build` of it against an empty project of
// the same SDK. The videos are small placeholder files (this measures the engine, not ffmpeg), and
// the outputs are written directly with the plan's keys, as a finished build would have left them.
// Also as shard k of N (DESIGN §8): the same no-op build with -p:ShardIndex=k -p:ShardCount=N, and
// the planning alone (DatasetPlan.Create with warm caches), whole and as that shard.
//   dotnet run -c Release --project bench/NoopBuildBench -- [lines=10000] [runs=5] [shards=16] [--reuse]
// --reuse times the dataset an earlier run left in the temporary folder instead of making it again
// (making 100,000 videos and 166,666 outputs takes longer than the timing).
using static BenchSupport;
using System.Diagnostics;
using System.Text;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Tensors;

int lines = args.Length > 0 ? int.Parse(args[0]) : 10_000;
int runs = args.Length > 1 ? int.Parse(args[1]) : 5;
int shards = args.Length > 2 ? int.Parse(args[2]) : 16;
string repo = FindRepo();
string root = Path.Combine(Path.GetTempPath(), "vds-bench-noop-" + lines);
bool reuse = args.Contains("--reuse") && File.Exists(Path.Combine(root, "obj/VideoDataset/output-keys.tsv"));
if (!reuse && Directory.Exists(root)) Directory.Delete(root, true);
Directory.CreateDirectory(root);
Console.WriteLine($"bench: {lines} lines in {root}" + (reuse ? " (reused)" : ""));

// Inputs: every fifth video is 9 s (3 texts), the rest 3 s; texts repeat now and then, as captions do.
var ann = new StringBuilder();
var rng = new Random(1);
for (int i = 0; i < lines && !reuse; i++)
{
    string video = $"ep{i / 100:D3}/seq_{i % 100:D4}.mp4";
    string path = Path.Combine(root, "episodes", video);
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    var bytes = new byte[256];
    rng.NextBytes(bytes);
    File.WriteAllBytes(path, bytes);
    int n = i % 5 == 0 ? 3 : 1;
    var texts = Enumerable.Range(0, n).Select(k => $"\"text_{k}\": \"Caption {(i * 7 + k) % (lines * 2 / 3)} of a scene with motion.\"");
    string flags = "[" + string.Join(", ", Enumerable.Repeat("false", n)) + "]";
    ann.Append($"{{\"video\": \"{video}\", \"scene_start\": {flags}, \"scene_end\": {flags}, {string.Join(", ", texts)}}}\n");
}
if (!reuse) File.WriteAllText(Path.Combine(root, "annotations.jsonl"), ann.ToString());

string worker = Path.Combine(repo, "src/VideoDataset.Worker/bin/Release/net10.0/VideoDataset.Worker.dll");
string tasks = Path.Combine(repo, "src/VideoDataset.Tasks/bin/Release/net10.0/VideoDataset.Tasks.dll");
File.WriteAllText(Path.Combine(root, "Dataset.proj"), $"""
    <Project Sdk="Microsoft.Build.NoTargets/3.7.0">
      <Import Project="{repo}/build/VideoDataset.props" />
      <PropertyGroup>
        <TargetFramework>net10.0</TargetFramework>
        <VideoDatasetTasksAssembly>{tasks}</VideoDatasetTasksAssembly>
        <VideoDatasetWorkerPath>{worker}</VideoDatasetWorkerPath>
        <ModelDir>tiny</ModelDir>
      </PropertyGroup>
      <Import Project="{repo}/build/VideoDataset.targets" />
    </Project>
    """);
Directory.CreateDirectory(Path.Combine(root, "empty"));
File.WriteAllText(Path.Combine(root, "empty/Empty.proj"), """
    <Project Sdk="Microsoft.Build.NoTargets/3.7.0">
      <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
    </Project>
    """);

// The tiny models, then every output as a finished build leaves it.
string inter = Path.Combine(root, "obj/VideoDataset");
if (!reuse) Run("dotnet", $"\"{worker}\" tiny-model --out \"{inter}/tiny-model/v1\"", root);
// The settings a project with ModelDir=tiny gets: the defaults from build/VideoDataset.props, where they are written.
var defaults = System.Xml.Linq.XDocument.Load(Path.Combine(repo, "build/VideoDataset.props")).Descendants()
    .Where(e => e.Parent?.Name.LocalName == "PropertyGroup" && !e.HasElements).ToDictionary(e => e.Name.LocalName, e => e.Value.Trim());
var settings = DatasetSettings.FromProperties(name => name switch
{
    "ModelDir" => "tiny", "VaeChunkFrames" => defaults["Fps"], "VideoDatasetIntermediateDir" => "obj/VideoDataset/",
    "ShardIndex" => "0", "ShardCount" => "1",
    _ => defaults.GetValueOrDefault(name) ?? "",
}).MakeAbsolute(root);
if (!reuse)
{
    var plan = DatasetPlan.Create(settings, FileStampCache.Load(Path.Combine(inter, "unused.tsv")), Path.Combine(root, "Dataset.proj"), visibleGpus: 0);
    if (plan.HasErrors) throw new Exception(string.Join("\n", plan.Diagnostics));
    var small = TensorData.FromFloat32(new float[] { 0, 1, 2, 3 }, new long[] { 1, 1, 2, 2 }, TensorDType.BFloat16);
    foreach (var l in plan.Latents) TorchTensorFile.Write(l.OutputPath, small, l.Metadata(plan.LatentRecipe));
    foreach (var t in plan.Texts) TorchTensorFile.Write(t.OutputPath, small, t.Metadata());
    foreach (var m in plan.Manifests) File.WriteAllText(m.OutputPath, m.Content);
    Console.WriteLine($"bench: {plan.Latents.Count} latents, {plan.Texts.Count} texts, {plan.Manifests.Count} manifests in place");
}

// First builds fill the per-machine caches (content hashes, stamps); then time the no-ops.
string build = $"build Dataset.proj -nologo -v:m -p:VideoDatasetToolsConfiguration=Release";
string first = Run("dotnet", build, root);
if (!first.Contains("(0 to encode)")) throw new Exception("the dataset was not current:\n" + first);
Run("dotnet", "build empty/Empty.proj -nologo -v:m", root);
var dataset = Time(() => Run("dotnet", build, root));
var empty = Time(() => Run("dotnet", "build empty/Empty.proj -nologo -v:m", root));
Console.WriteLine($"no-op build, {lines} lines: median {dataset:F2} s; empty project: median {empty:F2} s; ratio {dataset / empty:F2}x (load average {LoadAverage()})");

// Shard k of N: its first build hashes its own videos into its own caches; then time its no-ops.
int k = 3 % shards;
string shardBuild = build + $" -p:ShardIndex={k} -p:ShardCount={shards}";
string shardFirst = Run("dotnet", shardBuild, root);
if (!shardFirst.Contains("(0 to encode)")) throw new Exception("the shard was not current:\n" + shardFirst);
var shard = Time(() => Run("dotnet", shardBuild, root));
Console.WriteLine($"no-op build, {lines} lines, shard {k} of {shards}: median {shard:F2} s; ratio {shard / empty:F2}x the empty project (load average {LoadAverage()})");

// Planning alone, in this process, with the caches the builds left (what PrepareDataset does, the parsed annotations included).
double Plan(DatasetSettings s, string cacheDir) => Time(() =>
{
    var p = DatasetPlan.Create(s, FileStampCache.Load(Path.Combine(cacheDir, "content-hashes.tsv")), Path.Combine(root, "Dataset.proj"), visibleGpus: 0,
        new AnnotationParseCache(Path.Combine(cacheDir, "annotations.parsed")));
    p.StaleLatents(FileStampCache.Load(Path.Combine(cacheDir, "output-keys.tsv")));
    p.StaleTexts();
});
var shardSettings = settings with { ShardIndex = k, ShardCount = shards };
Console.WriteLine($"planning, {lines} lines: whole {Plan(settings, inter):F2} s, shard {k} of {shards} {Plan(shardSettings, shardSettings.StateDir):F2} s (medians, warm caches; load average {LoadAverage()})");
return 0;

double Time(Action a)
{
    var t = new List<double>();
    for (int i = 0; i < runs; i++) { var w = Stopwatch.StartNew(); a(); t.Add(w.Elapsed.TotalSeconds); }
    t.Sort();
    return t[t.Count / 2];
}

static string Run(string file, string args, string cwd)
{
    var psi = new ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
    psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
    using var p = Process.Start(psi)!;
    string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new Exception($"{file} {args} failed:\n{output}");
    return output;
}

