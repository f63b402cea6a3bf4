using TorchSharp;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Tests.Support;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Vae;

/// <summary>Half-precision weights kept as stored, and CogVideoX-5b's VAE at its real widths and full key set (tiny frames).</summary>
[TestClass]
[TestCategory("Reference")]
public class VaeRealSizeTests
{
    [TestMethod]
    [DataRow(TensorDType.BFloat16)]
    [DataRow(TensorDType.Float16)]
    public void HalfWeightsKeptAsStoredGiveTheBitsOfWeightsConvertedAtLoad(TensorDType dtype)
    {
        string half = VaeTestSupport.NewTempDir("vaehalf"), widened = VaeTestSupport.NewTempDir("vaewidened");
        try
        {
            var file = SafetensorsFile.Open(Path.Combine(VaeTestSupport.TinyVaeDir, VaeLoader.WeightsFileName));
            var halfWeights = RealSizeModels.Converted(file.Entries.Keys.Select(n => (n, file.Read(n))), dtype);
            TinyVae.WriteConfig(half, TinyVae.Config);
            SafetensorsFile.Write(Path.Combine(half, VaeLoader.WeightsFileName), halfWeights);
            // The same values as float32: what the encoder computed with when it converted the weights at load.
            TinyVae.WriteConfig(widened, TinyVae.Config);
            SafetensorsFile.Write(Path.Combine(widened, VaeLoader.WeightsFileName), RealSizeModels.Converted(halfWeights, TensorDType.Float32));

            manual_seed(7);
            using var video = rand(new long[] { 1, 3, 17, 32, 48 }).mul(2).sub(1);
            using var fromHalf = VaeLoader.LoadEncoder(half, CPU, ScalarType.Float32);
            using var fromWidened = VaeLoader.LoadEncoder(widened, CPU, ScalarType.Float32);
            Assert.IsTrue(fromHalf.parameters().All(p => p.dtype == TorchConvert.ToScalarType(dtype)), "half weights stay in their stored dtype");
            Assert.IsTrue(fromWidened.parameters().All(p => p.dtype == ScalarType.Float32), "float32 weights stay float32");
            using var a = fromHalf.Encode(video, 8);
            using var b = fromWidened.Encode(video, 8);
            Assert.AreEqual(ScalarType.Float32, a.dtype);
            Assert.IsTrue(a.abs().max().item<float>() > 0.05f, "degenerate output");
            CollectionAssert.AreEqual(b.contiguous().bytes.ToArray(), a.contiguous().bytes.ToArray(), "outputs differ in some bit");
        }
        finally
        {
            Directory.Delete(half, true);
            Directory.Delete(widened, true);
        }
    }

    [TestMethod]
    public void CogVideoX5bVaeWithEveryKeyLoadsAndMatchesTheReference()
    {
        string dir = VaeTestSupport.NewTempDir("vae5b");
        try
        {
            RealSizeModels.WriteCogVideoX5bVae(dir);
            var file = SafetensorsFile.Open(Path.Combine(dir, VaeLoader.WeightsFileName));
            long total = file.Entries.Values.Sum(e => TensorData.ElementCount(e.Shape));
            Assert.IsTrue(total is > 210_000_000 and < 220_000_000, $"{total} parameters; CogVideoX-5b's VAE has about 215M");
            Assert.IsTrue(file.Entries.Values.All(e => e.DType == TensorDType.BFloat16));

            using (var encoder = VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32))
            {
                var parameters = encoder.named_parameters().ToList();
                Assert.AreEqual(file.Entries.Keys.Count(k => k.StartsWith("encoder.", StringComparison.Ordinal)), parameters.Count);
                Assert.IsTrue(parameters.All(p => p.parameter.dtype == ScalarType.BFloat16));
            }

            manual_seed(11);
            using var video = rand(new long[] { 1, 3, 9, 16, 24 }).mul(2).sub(1);
            VaeReferenceTests.CompareWithReference(dir, video, [4, 8], [3, 32, 2, 3]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void RowBandsGiveTheBitsOfOneCallAtRealWidths()
    {
        // At 720x480 the first level's convolutions run in bands of rows; here (96x64, two chunks) the thresholds are
        // lowered so that the same level does, in bands of 16 rows, and the latents must not change in any bit.
        string dir = VaeTestSupport.NewTempDir("vae5bbands");
        long aboveBefore = CogVideoXCausalConv3d.BandAboveBytes, sliceBefore = CogVideoXCausalConv3d.BandBytes;
        try
        {
            RealSizeModels.WriteCogVideoX5bVae(dir);
            using var encoder = VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32);
            manual_seed(13);
            using var video = rand(new long[] { 1, 3, 33, 64, 96 }).mul(2).sub(1);
            using var whole = encoder.Encode(video, 16);
            // The first level's padded inputs are 56-60 MB, the second level's at most 17 MB.
            CogVideoXCausalConv3d.BandAboveBytes = 20_000_000;
            CogVideoXCausalConv3d.BandBytes = 8_000_000;
            long calls = CogVideoXCausalConv3d.BandedCalls;
            using var banded = encoder.Encode(video, 16);
            Assert.AreEqual(calls + 2 * 6, CogVideoXCausalConv3d.BandedCalls, "the first level's six convolutions ran in bands, in both chunks");
            CollectionAssert.AreEqual(whole.contiguous().bytes.ToArray(), banded.contiguous().bytes.ToArray(), "outputs differ in some bit");
        }
        finally
        {
            CogVideoXCausalConv3d.BandAboveBytes = aboveBefore;
            CogVideoXCausalConv3d.BandBytes = sliceBefore;
            Directory.Delete(dir, true);
        }
    }
}
