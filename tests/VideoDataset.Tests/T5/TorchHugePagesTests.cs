using VideoDataset.Core.Models;

namespace VideoDataset.Tests.T5;

/// <summary>
/// The switch for libtorch's huge pages goes into the C environment (where libtorch reads it, and .NET's
/// Environment.SetEnvironmentVariable does not write on Unix), and never overrides a value already set.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public class TorchHugePagesTests
{
    [TestMethod]
    public void SetsTheCEnvironmentOnlyWhenUnset()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Linux only");
        string name = "VDS_TEST_" + Guid.NewGuid().ToString("N");
        Assert.IsNull(TorchHugePages.Get(name));
        TorchHugePages.SetIfUnset(name, "1");
        Assert.AreEqual("1", TorchHugePages.Get(name));
        Assert.IsNull(Environment.GetEnvironmentVariable(name), "it is not .NET's copy that changed");
        TorchHugePages.SetIfUnset(name, "2");
        Assert.AreEqual("1", TorchHugePages.Get(name), "an existing value is kept");
    }

    [TestMethod]
    public void EnableTurnsThemOnUnlessSwitchedOff()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Linux only");
        string? before = TorchHugePages.Get(TorchHugePages.Variable);
        bool on = TorchHugePages.Enable();
        Assert.AreEqual(before is null or "1", on);
        Assert.AreEqual(before ?? "1", TorchHugePages.Get(TorchHugePages.Variable));
    }
}
