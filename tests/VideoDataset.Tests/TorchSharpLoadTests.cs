using TorchSharp;

namespace VideoDataset.Tests;

[TestClass]
public class TorchSharpLoadTests
{
    [TestMethod]
    public void LibTorchLoadsInTheTestProcess()
    {
        using var t = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        Assert.AreEqual(15f, t.sum().item<float>());
    }
}
