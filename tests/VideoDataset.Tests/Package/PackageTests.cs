using System.Diagnostics;
using System.IO.Compression;
using VideoDataset.Tests.EndToEnd;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Package;

/// <summary>
/// The product as users get it (DESIGN §9): the three packages are packed into a temporary local
/// feed with a unique version, and dataset projects in a folder outside this repository (no
/// Directory.Build.* of ours above them) restore them with a NuGet packages folder of their own,
/// which starts empty (the first restore downloads TorchSharp and libtorch from nuget.org). They
/// must write the same bytes as the in-repo build, have nothing to do a second time, verify, and
/// fail with canonical errors on the setups users get wrong.
/// </summary>
[TestClass]
[TestCategory("Package")]
public class PackageTests
{
    static string _root = "";
    static string _feed = "";
    static string _packages = "";
    static string _version = "";
    static Dictionary<string, byte[]> _reference = new();

    static string Relative(string path, string root) => Path.GetRelativePath(root, path).Replace('\\', '/');

    [ClassInitialize]
    public static void PackAndBuildTheReference(TestContext _)
    {
        _root = Path.Combine(Path.GetTempPath(), "vds-package-" + Guid.NewGuid().ToString("N")[..8]);
        _feed = Path.Combine(_root, "feed");
        _packages = Path.Combine(_root, "packages");
        Directory.CreateDirectory(_feed);
        // Nothing of ours may be imported from above the consumers.
        for (var dir = new DirectoryInfo(_root); dir is not null; dir = dir.Parent)
            foreach (string name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json" })
                Assert.IsFalse(File.Exists(Path.Combine(dir.FullName, name)), $"{name} above the consumers in {dir.FullName}");

        _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        foreach (string project in new[] { "VideoDataset.Build", "VideoDataset.Sdk", "VideoDataset.Templates" })
        {
            var packed = Repo.Run("dotnet", ["pack", Path.Combine(Repo.Root, "src", project, project + ".csproj"), "-nologo", "-v:m",
                "-c", Repo.Configuration, "-o", _feed, $"-p:VideoDatasetVersion={_version}"]);
            Assert.AreEqual(0, packed.ExitCode, packed.ToString());
        }
        File.WriteAllText(Path.Combine(_root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);

        // The in-repo build of the bundled sample: build/ with the freshly built tasks and worker.
        using var reference = new DatasetProject("package-reference").WithSample();
        var built = reference.Build();
        Assert.AreEqual(0, built.ExitCode, built.ToString());
        _reference = DatasetFiles(reference.DatasetDir);
        Assert.HasCount(5 + 7 + 2, _reference);
    }

    [ClassCleanup]
    public static void RemoveTheFeedAndTheConsumers()
    {
        try { if (_root != "") Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    static Dictionary<string, byte[]> DatasetFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(f => Relative(f, dir), File.ReadAllBytes);

    /// <summary>A dataset project in the temporary folder, with the bundled sample's inputs.</summary>
    sealed class Consumer
    {
        public string Dir { get; }
        public string Packages { get; set; } = _packages;
        public string DatasetDir => Path.Combine(Dir, "dataset");

        public Consumer(string name, string projectXml, bool withSample = true)
        {
            Dir = Path.Combine(_root, name);
            Directory.CreateDirectory(Dir);
            File.WriteAllText(Path.Combine(Dir, "MyDataset.proj"), projectXml);
            if (!withSample) return;
            string episodes = Path.Combine(Repo.SampleDir, "episodes");
            foreach (string f in Directory.EnumerateFiles(episodes, "*.mp4", SearchOption.AllDirectories))
            {
                string target = Path.Combine(Dir, "episodes", Path.GetRelativePath(episodes, f));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(f, target);
            }
            File.Copy(Path.Combine(Repo.SampleDir, "annotations.jsonl"), Path.Combine(Dir, "annotations.jsonl"));
        }

        public Repo.Result Build(params string[] extra) => Dotnet(Dir, Packages, ["build", "-nologo", "-v:m", "-nodeReuse:false", .. extra]);

        public string WorkerFolder() => Directory.GetDirectories(Path.Combine(Dir, "obj/VideoDataset/worker")).Single(d => !d.Contains(".vdstmp-"));
    }

    static Repo.Result Dotnet(string dir, string packages, string[] args)
    {
        var clock = Stopwatch.StartNew();
        var result = Repo.Run("dotnet", args, dir, new Dictionary<string, string?> { ["NUGET_PACKAGES"] = packages });
        Console.WriteLine($"{Relative(dir, _root)}: dotnet {string.Join(' ', args)}: {clock.Elapsed.TotalSeconds:F1} s, exit {result.ExitCode}");
        return result;
    }

    static string ReferenceProject(string extraItems = "", string extraProperties = "") => $"""
        <Project Sdk="Microsoft.Build.NoTargets/3.7.0">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <ModelDir>tiny</ModelDir>
            <FrameWidth>128</FrameWidth>
            <FrameHeight>80</FrameHeight>
        {extraProperties}
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="VideoDataset.Build" Version="{_version}" />
        {extraItems}
          </ItemGroup>
        </Project>
        """;

    static string SdkProject() => $"""
        <Project Sdk="VideoDataset.Sdk/{_version}">
          <PropertyGroup>
            <ModelDir>tiny</ModelDir>
            <FrameWidth>128</FrameWidth>
            <FrameHeight>80</FrameHeight>
          </PropertyGroup>
        </Project>
        """;

    static void AssertSucceeded(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    static void AssertSameAsTheInRepoBuild(Consumer c)
    {
        var built = DatasetFiles(c.DatasetDir);
        CollectionAssert.AreEquivalent(_reference.Keys.ToList(), built.Keys.ToList());
        foreach (var (name, bytes) in _reference)
            CollectionAssert.AreEqual(bytes, built[name], name);
    }

    /// <summary>First build, byte comparison, a second build with nothing to do, VerifyDataset.</summary>
    static void BuildTheSample(Consumer c)
    {
        var first = c.Build();
        AssertSucceeded(first);
        StringAssert.Contains(first.Output, "5 videos (5 to encode), 7 distinct texts (7 to encode), 2 manifests");
        StringAssert.Contains(first.Output, "Assembled the VideoDataset worker");
        AssertSameAsTheInRepoBuild(c);

        var before = Directory.EnumerateFiles(c.DatasetDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var second = c.Build();
        AssertSucceeded(second);
        StringAssert.Contains(second.Output, "5 videos (0 to encode), 7 distinct texts (0 to encode)");
        Assert.IsFalse(second.Output.Contains("Assembled the VideoDataset worker"), "a current worker is not assembled again");
        foreach (var (f, t) in before) Assert.AreEqual(t, File.GetLastWriteTimeUtc(f), f);

        AssertSucceeded(c.Build("-t:VerifyDataset"));
    }

    [TestMethod]
    public void APackageReferenceConsumerBuildsTheSampleLikeTheRepository()
    {
        var c = new Consumer("reference", ReferenceProject());
        BuildTheSample(c);

        // The worker: managed files copied, libtorch linked into the fresh NuGet folder, the binding beside it.
        string worker = c.WorkerFolder();
        Assert.IsNull(new FileInfo(Path.Combine(worker, "VideoDataset.Worker.dll")).LinkTarget);
        Assert.IsNull(new FileInfo(Path.Combine(worker, "TorchSharp.dll")).LinkTarget);
        StringAssert.StartsWith(new FileInfo(Path.Combine(worker, "libtorch_cpu.so")).LinkTarget, _packages);
        Assert.IsTrue(File.Exists(Path.Combine(worker, "libLibTorchSharp.so")));
        // The package holds no model runtime: the restored folder does.
        using (var zip = ZipFile.OpenRead(Path.Combine(_feed, $"VideoDataset.Build.{_version}.nupkg")))
        {
            Assert.IsFalse(zip.Entries.Any(e => e.FullName.EndsWith(".so", StringComparison.Ordinal) || e.Name == "TorchSharp.dll"));
            Assert.IsFalse(zip.Entries.Any(e => e.FullName.StartsWith("lib/", StringComparison.Ordinal)));
            CollectionAssert.IsSubsetOf(new[] { "build/VideoDataset.Build.props", "build/VideoDataset.Build.targets", "tasks/net10.0/VideoDataset.Tasks.dll", "tools/worker/VideoDataset.Worker.dll" },
                zip.Entries.Select(e => e.FullName).ToList());
        }

        // A dangling link in the worker folder (its target gone) makes the next build assemble it anew.
        string link = Path.Combine(worker, "libtorch.so");
        File.Delete(link);
        File.CreateSymbolicLink(link, Path.Combine(_root, "gone", "libtorch.so"));
        File.Delete(Path.Combine(c.DatasetDir, "latents/ep01/seq_0000.pt"));
        var repaired = c.Build();
        AssertSucceeded(repaired);
        StringAssert.Contains(repaired.Output, "Assembled the VideoDataset worker");
        StringAssert.Contains(repaired.Output, "5 videos (1 to encode)");
        AssertSameAsTheInRepoBuild(c);

        AssertSucceeded(c.Build("-t:Clean"));
        Assert.IsFalse(Directory.EnumerateFiles(c.DatasetDir, "*.pt", SearchOption.AllDirectories).Any());
    }

    [TestMethod]
    public void AnSdkConsumerBuildsTheSampleLikeTheRepository() =>
        BuildTheSample(new Consumer("sdk", SdkProject()));

    [TestMethod]
    public void TheTemplatesProjectBuilds()
    {
        string hive = Path.Combine(_root, "template-hive");
        string dir = Path.Combine(_root, "template");
        Directory.CreateDirectory(dir);
        AssertSucceeded(Dotnet(dir, _packages, ["new", "install", Path.Combine(_feed, $"VideoDataset.Templates.{_version}.nupkg"), "--debug:custom-hive", hive]));
        AssertSucceeded(Dotnet(dir, _packages, ["new", "videodataset", "-o", "my-dataset", "--debug:custom-hive", hive]));
        string project = Path.Combine(dir, "my-dataset");
        foreach (string f in new[] { "my-dataset.proj", "annotations.jsonl", ".gitignore", "README.md" })
            Assert.IsTrue(File.Exists(Path.Combine(project, f)), f);
        Assert.AreEqual(0, new FileInfo(Path.Combine(project, "annotations.jsonl")).Length);
        StringAssert.Contains(File.ReadAllText(Path.Combine(project, "my-dataset.proj")), $"Sdk=\"VideoDataset.Sdk/{_version}\"");
        StringAssert.Contains(File.ReadAllText(Path.Combine(project, ".gitignore")), "dataset/");
        StringAssert.Contains(File.ReadAllText(Path.Combine(project, "README.md")), "dotnet build -t:VerifyDataset");

        var built = Dotnet(project, _packages, ["build", "-nologo", "-v:m", "-nodeReuse:false"]);
        AssertSucceeded(built);
        StringAssert.Contains(built.Output, "0 videos (0 to encode)");
        AssertSucceeded(Dotnet(project, _packages, ["build", "-nologo", "-v:m", "-nodeReuse:false", "-t:VerifyDataset"]));
    }

    static void AssertCanonicalError(Repo.Result r, string code, params string[] phrases)
    {
        Assert.AreNotEqual(0, r.ExitCode, r.ToString());
        string? line = r.Output.Split('\n').FirstOrDefault(l => l.Contains($": error {code}: ", StringComparison.Ordinal));
        Assert.IsNotNull(line, r.ToString());
        StringAssert.Matches(line, new System.Text.RegularExpressions.Regex(@"^\s*/\S+(\(\d+(,\d+)?\))? ?: error VDS\d{4}: "));
        foreach (string p in phrases) StringAssert.Contains(line, p);
        Assert.IsFalse(r.Output.Contains("Aborted", StringComparison.Ordinal) || r.Output.Contains("Segmentation fault", StringComparison.Ordinal), r.ToString());
    }

    [TestMethod]
    public void BadSetupsGiveCanonicalErrors()
    {
        var c = new Consumer("bad", ReferenceProject(), withSample: false);
        AssertCanonicalError(c.Build("-p:ModelDir="), "VDS5002", "set ModelDir");
        AssertCanonicalError(c.Build("-p:VideoDatasetHostRuntimeIdentifier=osx-arm64"), "VDS0910", "linux-x64 only", "this machine is osx-arm64");
    }

    [TestMethod]
    public void AnSdkProjectBuiltWithoutRestoreAfterTheCacheWasClearedFails()
    {
        string copy = Path.Combine(_root, "packages-sdk-copy");
        var cp = Repo.Run("cp", ["-al", _packages, copy]);
        Assert.AreEqual(0, cp.ExitCode, cp.ToString());
        var c = new Consumer("sdk-cleared", SdkProject(), withSample: false) { Packages = copy };
        AssertSucceeded(c.Build("-t:Restore"));
        AssertSucceeded(Dotnet(c.Dir, copy, ["nuget", "locals", "global-packages", "--clear"]));
        // The SDK itself is resolved again; VideoDataset.Build's build files are not there to import.
        AssertCanonicalError(c.Build("--no-restore"), "VDS0917", "were not imported", "a plain `dotnet build` does");
    }

    [TestMethod]
    public void AWorkerOfYourOwnSkipsTheAssembly()
    {
        var c = new Consumer("own-worker", ReferenceProject(extraProperties: $"    <VideoDatasetWorkerPath>{Repo.WorkerPath}</VideoDatasetWorkerPath>"));
        var built = c.Build();
        AssertSucceeded(built);
        StringAssert.Contains(built.Output, "5 videos (5 to encode)");
        Assert.IsFalse(built.Output.Contains("Assembled the VideoDataset worker"), built.ToString());
        Assert.IsFalse(Directory.Exists(Path.Combine(c.Dir, "obj/VideoDataset/worker")));
        AssertSameAsTheInRepoBuild(c);
    }

    [TestMethod]
    public void AnotherTorchSharpVersionIsAnError()
    {
        // A real package that NuGet resolves instead of ours (nuget.org has only 0.107.0): the consumer's
        // direct reference wins over VideoDataset.Build's exact dependency, with NuGet's NU1608 warning.
        string nuspec = """
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata><id>TorchSharp</id><version>0.107.1-other</version><authors>test</authors><description>another TorchSharp version</description></metadata>
            </package>
            """;
        using (var zip = ZipFile.Open(Path.Combine(_feed, "TorchSharp.0.107.1-other.nupkg"), ZipArchiveMode.Create))
        using (var w = new StreamWriter(zip.CreateEntry("TorchSharp.nuspec").Open()))
            w.Write(nuspec);
        var c = new Consumer("other-torchsharp", ReferenceProject("""<PackageReference Include="TorchSharp" Version="0.107.1-other" />"""), withSample: false);
        AssertCanonicalError(c.Build(), "VDS0912", "needs TorchSharp 0.107.0", "resolved TorchSharp 0.107.1-other");
    }

    [TestMethod]
    public void NativesDeletedAfterRestoreAreAnErrorAndTheWorkerSaysSoItself()
    {
        // A copy of the restored folder (hard links: instant, and the shared one stays whole).
        string copy = Path.Combine(_root, "packages-copy");
        var cp = Repo.Run("cp", ["-al", _packages, copy]);
        Assert.AreEqual(0, cp.ExitCode, cp.ToString());
        // No videos: the build still runs the worker, to make the tiny models.
        var c = new Consumer("natives", ReferenceProject(), withSample: false) { Packages = copy };
        Directory.CreateDirectory(Path.Combine(c.Dir, "episodes"));
        File.WriteAllText(Path.Combine(c.Dir, "annotations.jsonl"), "");
        var ok = c.Build();
        AssertSucceeded(ok);
        StringAssert.Contains(ok.Output, "0 videos (0 to encode)");
        string worker = c.WorkerFolder();
        string tinyModels = Path.Combine(c.Dir, "obj/VideoDataset/tiny-model");
        Assert.IsTrue(Directory.Exists(tinyModels));

        // One library deleted from the NuGet folder (restore does not repair that): the build names it and the remedy.
        File.Delete(Path.Combine(copy, "libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native/libtorch_cpu.so"));
        AssertCanonicalError(c.Build(), "VDS0913", "libtorch_cpu.so", "delete '" + Path.Combine(copy, "libtorch-cpu-linux-x64/2.10.0") + "'");

        // The whole cache cleared, as `dotnet nuget locals all --clear` does (here only this test's folder).
        AssertSucceeded(Dotnet(c.Dir, copy, ["nuget", "locals", "global-packages", "--clear"]));

        // The worker started over its now dangling links reports that in canonical form instead of aborting.
        var run = Repo.Run("dotnet", [Path.Combine(worker, "VideoDataset.Worker.dll"), "selftest"]);
        Assert.AreEqual(1, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, ": error VDS0920: ");
        StringAssert.Contains(run.Output, "libtorch.so");
        StringAssert.Contains(run.Output, "which does not exist");
        Assert.IsFalse(run.Output.Contains("Aborted", StringComparison.Ordinal), run.ToString());

        // A plain build restores the runtime again (downloading it) and the worker works: it makes the tiny models anew.
        Directory.Delete(tinyModels, recursive: true);
        var again = c.Build();
        AssertSucceeded(again);
        StringAssert.Contains(again.Output, "0 videos (0 to encode)");
        Assert.IsTrue(File.Exists(Path.Combine(copy, "libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native/libtorch_cpu.so")));
        Assert.IsTrue(Directory.EnumerateFiles(tinyModels, "*.safetensors", SearchOption.AllDirectories).Any());
    }
}
