using TorchSharp;

namespace VideoDataset.Tests;

[TestClass]
[TestCategory("Unit")]
public class TorchSharpLoadTests
{
    [TestMethod]
    public void LibTorchLoadsInTheTestProcess()
    {
        using var t = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        Assert.AreEqual(15f, t.sum().item<float>());
    }
}

[TestClass]
[TestCategory("Unit")]
public class TorchConvertTests
{
    [TestMethod]
    public void BFloat16RoundTripsThroughTorchSharpAndMatchesTorchRounding()
    {
        float[] values = { 1f, 1.00390625f, 1.01171875f, -3.14159f, 65504f, 1e-20f };
        var data = VideoDataset.Core.Tensors.TensorData.FromFloat32(values, new long[] { 2, 3 }, VideoDataset.Core.Tensors.TensorDType.Float32);
        using var t = VideoDataset.Core.Tensors.TorchConvert.ToTorch(data);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, t.shape);
        // torch's own float->bf16 cast must give the same bits as TensorData's conversion.
        var viaTorch = VideoDataset.Core.Tensors.TorchConvert.FromTorch(t, VideoDataset.Core.Tensors.TensorDType.BFloat16);
        var viaCore = VideoDataset.Core.Tensors.TensorData.FromFloat32(values, new long[] { 2, 3 }, VideoDataset.Core.Tensors.TensorDType.BFloat16);
        CollectionAssert.AreEqual(viaCore.Bytes, viaTorch.Bytes);
        using var back = VideoDataset.Core.Tensors.TorchConvert.ToTorch(viaTorch);
        Assert.AreEqual(TorchSharp.torch.ScalarType.BFloat16, back.dtype);
        Assert.AreEqual(1.015625f, back[0, 2].to(TorchSharp.torch.ScalarType.Float32).item<float>()); // 1.01171875 is halfway: rounds to the even mantissa
    }
}
