using System.Text.Json;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tests.Package;

/// <summary>The parts of the consumer's worker assembly that need no package: the manifest edit and link checks.</summary>
[TestClass]
[TestCategory("Unit")]
public class WorkerFolderTests
{
    [TestMethod]
    public void TheDependencyManifestKeepsManagedAssetsAndDropsNatives()
    {
        const string deps = """
            {"runtimeTarget":{"name":".NETCoreApp,Version=v10.0/linux-x64"},
             "targets":{".NETCoreApp,Version=v10.0/linux-x64":{
               "TorchSharp/0.107.0":{"runtime":{"lib/net8.0/TorchSharp.dll":{}},"native":{"runtimes/linux-x64/native/libLibTorchSharp.so":{}}},
               "libtorch-cpu-linux-x64/2.10.0":{"native":{"runtimes/linux-x64/native/libtorch.so":{}}}}},
             "libraries":{"TorchSharp/0.107.0":{"type":"package"}}}
            """;
        var edited = JsonDocument.Parse(WorkerFolder.ManagedOnlyDeps(deps)).RootElement;
        var target = edited.GetProperty("targets").GetProperty(".NETCoreApp,Version=v10.0/linux-x64");
        Assert.IsTrue(target.GetProperty("TorchSharp/0.107.0").TryGetProperty("runtime", out _));
        Assert.IsFalse(target.GetProperty("TorchSharp/0.107.0").TryGetProperty("native", out _));
        Assert.IsFalse(target.GetProperty("libtorch-cpu-linux-x64/2.10.0").TryGetProperty("native", out _));
        Assert.AreEqual("package", edited.GetProperty("libraries").GetProperty("TorchSharp/0.107.0").GetProperty("type").GetString());
    }

    [TestMethod]
    public void ADanglingLinkDoesNotResolve()
    {
        string dir = Directory.CreateTempSubdirectory("vds-links-").FullName;
        try
        {
            string file = Path.Combine(dir, "lib.so"), good = Path.Combine(dir, "good.so"), bad = Path.Combine(dir, "bad.so");
            File.WriteAllText(file, "x");
            File.CreateSymbolicLink(good, file);
            File.CreateSymbolicLink(bad, Path.Combine(dir, "gone.so"));
            Assert.IsTrue(WorkerFolder.Resolves(file));
            Assert.IsTrue(WorkerFolder.Resolves(good));
            Assert.IsTrue(File.Exists(bad), "File.Exists alone would take a dangling link for a file");
            Assert.IsFalse(WorkerFolder.Resolves(bad));
            Assert.IsFalse(WorkerFolder.Resolves(Path.Combine(dir, "none.so")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
