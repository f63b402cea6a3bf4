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
            long calls = CogVideoXCausalConv3d.BandedCalls, inPlace = CogVideoXCausalConv3d.InPlaceCalls, norms = CogVideoXResnetBlock3D.NormsInPlace;
            using var banded = encoder.Encode(video, 16);
            Assert.AreEqual(calls + 2 * 6, CogVideoXCausalConv3d.BandedCalls, "the first level's six convolutions ran in bands, in both chunks");
            Assert.AreEqual(inPlace + 2 * 6, CogVideoXCausalConv3d.InPlaceCalls, "each wrote into its own input");
            Assert.AreEqual(norms + 2 * 3, CogVideoXResnetBlock3D.NormsInPlace, "the first level's three norm2 ran in place, in both chunks");
            CollectionAssert.AreEqual(whole.contiguous().bytes.ToArray(), banded.contiguous().bytes.ToArray(), "outputs differ in some bit");
        }
        finally
        {
            CogVideoXCausalConv3d.BandAboveBytes = aboveBefore;
            CogVideoXCausalConv3d.BandBytes = sliceBefore;
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void InPlaceBandsAndGroupNormGiveTheBitsOfOneCallAtThe720Width()
    {
        // One band's shape at 720x480, window 16: 128 channels, 16 frames (18 time-padded), 720 columns, bands of 20
        // rows. Here 60 rows in three such bands, written into the input, against one call; and GroupNorm by one group
        // at a time and by several, in place, against one call. Random floats, compared byte for byte.
        long aboveBefore = CogVideoXCausalConv3d.BandAboveBytes, sliceBefore = CogVideoXCausalConv3d.BandBytes, rowsBefore = CogVideoXCausalConv3d.MinBandRows;
        try
        {
            using var noGrad = no_grad();
            manual_seed(19);
            using var conv = new CogVideoXCausalConv3d(128, 128);
            using (var w = randn(new long[] { 128, 128, 3, 3, 3 }).mul(0.03)) conv.state_dict()["conv.weight"].copy_(w);
            using var x = randn(new long[] { 1, 128, 16, 60, 720 });
            CogVideoXCausalConv3d.BandAboveBytes = long.MaxValue;
            byte[] expected;
            using (var whole = conv.forward(x)) expected = whole.bytes.ToArray();
            conv.ResetCache();
            CogVideoXCausalConv3d.BandAboveBytes = 0;
            CogVideoXCausalConv3d.MinBandRows = 16;
            CogVideoXCausalConv3d.BandBytes = 128L * 18 * 60 * 720 * 4 / 3;
            long inPlace = CogVideoXCausalConv3d.InPlaceCalls;
            using (var banded = conv.Forward(x.clone(), consumeInput: true))
            {
                Assert.AreEqual(inPlace + 1, CogVideoXCausalConv3d.InPlaceCalls, "the convolution ran in bands into its input");
                Assert.IsTrue(expected.AsSpan().SequenceEqual(banded.bytes), "in-place bands differ from one call in some bit");
            }

            using var norm = CogVideoXResnetBlock3D.NewGroupNorm(32, 128, 1e-6);
            using (var w = randn(128).mul(0.2).add(1)) norm.weight!.copy_(w);
            using (var b = randn(128).mul(0.2)) norm.bias!.copy_(b);
            using var activation = x.mul(1.7).add(0.3);
            CogVideoXCausalConv3d.BandAboveBytes = long.MaxValue;
            using (var whole = VideoDataset.Core.Models.ModelWeights.Norm(norm, activation)) expected = whole.bytes.ToArray();
            CogVideoXCausalConv3d.BandAboveBytes = 0;
            foreach (long groupsPerSlice in new long[] { 1, 5 })
            {
                CogVideoXCausalConv3d.BandBytes = groupsPerSlice * 4L * 16 * 60 * 720 * 4;
                using var normed = CogVideoXResnetBlock3D.NormConsuming(norm, activation.clone());
                Assert.IsTrue(expected.AsSpan().SequenceEqual(normed.bytes), $"GroupNorm {groupsPerSlice} group(s) at a time differs from one call in some bit");
            }
        }
        finally
        {
            CogVideoXCausalConv3d.BandAboveBytes = aboveBefore;
            CogVideoXCausalConv3d.BandBytes = sliceBefore;
            CogVideoXCausalConv3d.MinBandRows = rowsBefore;
        }
    }

    [TestMethod]
    public void LatentsAreTheSameBytesOnOneThreadAsOnSeveral()
    {
        // libtorch sends a 1x1 convolution (CogVideoX's conv_shortcut) of more than 20480 batch x channel x time x height
        // to oneDNN on several threads and to its own im2col + GEMM on one, which sums in another order; the encoder must
        // not let a one-CPU machine differ. Frames 128 high make the shortcut's input 128 x 5 x 64 = 40960.
        string dir = VaeTestSupport.NewTempDir("vae5bthreads");
        int threads = get_num_threads();
        try
        {
            using var noGrad = no_grad();
            manual_seed(23);
            using var x = randn(new long[] { 1, 128, 5, 64, 12 });
            using var w = randn(new long[] { 256, 128, 1, 1, 1 }).mul(0.05);
            using var b = randn(256);
            byte[] ConvOn(int count) { set_num_threads(count); using var y = nn.functional.conv3d(x, w, b); return y.bytes.ToArray(); }
            if (ConvOn(1).AsSpan().SequenceEqual(ConvOn(2)))
                Assert.Inconclusive("this libtorch computes a 1x1 convolution alike on one thread and on two: nothing to test");

            RealSizeModels.WriteCogVideoX5bVae(dir);
            manual_seed(29);
            using var video = rand(new long[] { 1, 3, 9, 128, 24 }).mul(2).sub(1);
            using var encoder = VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32);
            byte[] EncodeOn(int count) { set_num_threads(count); using var latent = encoder.Encode(video, 8); return latent.contiguous().bytes.ToArray(); }
            byte[] two = EncodeOn(2), three = EncodeOn(3), one = EncodeOn(1);
            Assert.AreEqual(1, get_num_threads(), "the caller's thread count is restored");
            Assert.IsTrue(two.AsSpan().SequenceEqual(three), "three threads give other latents than two");
            Assert.IsTrue(two.AsSpan().SequenceEqual(one), "one thread gives other latents than two");
        }
        finally
        {
            set_num_threads(threads);
            Directory.Delete(dir, true);
        }
    }
}
