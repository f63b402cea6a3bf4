using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Eng;

/// <summary>
/// The build-time patch that lets TorchSharp 0.107 load on Debian 12 (eng/WeakenElfVersionNeed.cs):
/// it marks exactly one version requirement weak, only when the system lacks that version, and the
/// worker's output links the patched copy while the NuGet cache stays untouched.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public class ElfPatchTests
{
    const string Version = "GLIBCXX_3.4.32";

    static string OriginalLibrary()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget/packages");
        string path = Path.Combine(home, "torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(path), path);
        return path;
    }

    [TestMethod]
    public void MarksOnlyTheGccThirteenRequirementWeak()
    {
        byte[] elf = File.ReadAllBytes(OriginalLibrary());
        var before = ElfVersionNeed.List(elf);
        Assert.IsTrue(before.Any(v => v.version == Version && !v.weak), "the original requires " + Version);

        Assert.AreEqual(1, ElfVersionNeed.MarkWeak(elf, Version));
        var after = ElfVersionNeed.List(elf);
        Assert.HasCount(before.Length, after);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.AreEqual(before[i].version, after[i].version);
            Assert.AreEqual(before[i].weak || before[i].version == Version, after[i].weak, before[i].version);
        }
        Assert.AreEqual(0, ElfVersionNeed.MarkWeak(elf, Version), "a second pass changes nothing");

        // Only the two flag bytes differ from the original.
        byte[] original = File.ReadAllBytes(OriginalLibrary());
        Assert.AreEqual(1, original.Zip(elf).Count(p => p.First != p.Second));
    }

    [TestMethod]
    public void DecidesFromTheSystemLibrary()
    {
        // Debian 12's libstdc++ has up to 3.4.30 (the reason for the patch); a GCC 13 system would not need it.
        Assert.IsTrue(ElfVersionNeed.SystemProvides(ElfVersionNeed.DefaultSystemLibraries, "GLIBCXX_3.4.30"));
        Assert.AreEqual(File.ReadAllText("/etc/debian_version").StartsWith("12"), !ElfVersionNeed.SystemProvides(ElfVersionNeed.DefaultSystemLibraries, Version));
        Assert.IsFalse(ElfVersionNeed.SystemProvides(new[] { "/nonexistent/libstdc++.so.6" }, "GLIBCXX_3.4.30"));
    }

    [TestMethod]
    public void RejectsFilesThatAreNotElf() =>
        Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeed.MarkWeak(new byte[100], Version));

    [TestMethod]
    public void TheWorkerOutputLinksThePatchedCopyAndTheCacheIsUntouched()
    {
        string linked = Path.Combine(Path.GetDirectoryName(Repo.WorkerPath)!, "libLibTorchSharp.so");
        var target = new FileInfo(linked).ResolveLinkTarget(returnFinalTarget: true);
        string actual = target?.FullName ?? linked;
        bool needed = !ElfVersionNeed.SystemProvides(ElfVersionNeed.DefaultSystemLibraries, Version);
        Assert.AreEqual(needed, actual.Contains("/obj/"), actual);
        Assert.AreEqual(needed, ElfVersionNeed.List(File.ReadAllBytes(actual)).Single(v => v.version == Version).weak);
        Assert.IsFalse(ElfVersionNeed.List(File.ReadAllBytes(OriginalLibrary())).Single(v => v.version == Version).weak, "the NuGet cache keeps the original");
        // libtorch itself is linked, not copied.
        Assert.IsNotNull(new FileInfo(Path.Combine(Path.GetDirectoryName(Repo.WorkerPath)!, "libtorch_cpu.so")).LinkTarget);
    }
}
