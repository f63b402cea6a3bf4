using TorchSharp;
using VideoDataset.Core.Models.Vae;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Vae;

/// <summary>Hand-computed checks of the encoder's building blocks.</summary>
[TestClass]
[TestCategory("Unit")]
public class VaeBlockTests
{
    static void SetParameter(nn.Module module, string name, Tensor value)
    {
        using var noGrad = no_grad();
        module.state_dict()[name].copy_(value);
    }

    /// <summary>A 1->1 channel causal conv whose only non-zero taps are the spatial centre: 100, 10, 1 over time.</summary>
    static CogVideoXCausalConv3d TimeTapConv()
    {
        var conv = new CogVideoXCausalConv3d(1, 1);
        var w = zeros(new long[] { 1, 1, 3, 3, 3 });
        w[0, 0, 0, 1, 1] = tensor(100f);
        w[0, 0, 1, 1, 1] = tensor(10f);
        w[0, 0, 2, 1, 1] = tensor(1f);
        SetParameter(conv, "conv.weight", w);
        SetParameter(conv, "conv.bias", zeros(1));
        return conv;
    }

    static Tensor Frames(params float[] values) => tensor(values).reshape(1, 1, values.Length, 1, 1);

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static float[] Values(Tensor t) => t.flatten().data<float>().ToArray();

    [TestMethod]
    public void CausalConvPadsTimeWithTheFirstFrame()
    {
        using var conv = TimeTapConv();
        // out[t] = 100 x[t-2] + 10 x[t-1] + x[t], x[-1] = x[-2] = x[0]
        var y = conv.forward(Frames(1, 2, 3, 4));
        CollectionAssert.AreEqual(new[] { 111f, 112f, 123f, 234f }, Values(y));
        CollectionAssert.AreEqual(new[] { 3f, 4f }, Values(conv.CachedFrames!)); // the last kernel-1 inputs
    }

    [TestMethod]
    public void CausalConvCarriesItsLastInputFramesToTheNextChunk()
    {
        using var conv = TimeTapConv();
        CollectionAssert.AreEqual(new[] { 111f, 112f }, Values(conv.forward(Frames(1, 2))));
        CollectionAssert.AreEqual(new[] { 123f, 234f }, Values(conv.forward(Frames(3, 4))));
        // A one-frame chunk takes one frame from the cache and one from itself.
        CollectionAssert.AreEqual(new[] { 345f }, Values(conv.forward(Frames(5))));
        CollectionAssert.AreEqual(new[] { 4f, 5f }, Values(conv.CachedFrames!));
        conv.ResetCache();
        CollectionAssert.AreEqual(new[] { 777f }, Values(conv.forward(Frames(7))));
    }

    [TestMethod]
    public void CausalConvInChunksEqualsOneCallOnRandomData()
    {
        manual_seed(3);
        using var conv = new CogVideoXCausalConv3d(4, 5);
        var x = randn(new long[] { 1, 4, 9, 6, 7 });
        var whole = conv.forward(x);
        conv.ResetCache();
        var parts = cat(new[] { conv.forward(x.narrow(2, 0, 5)), conv.forward(x.narrow(2, 5, 1)), conv.forward(x.narrow(2, 6, 3)) }, 2);
        Assert.IsTrue(whole.allclose(parts, rtol: 1e-5, atol: 1e-6));
        CollectionAssert.AreEqual(new long[] { 1, 5, 9, 6, 7 }, whole.shape); // spatial zero padding keeps H, W
    }

    [TestMethod]
    public void TimeHalvingKeepsAnOddFirstFrameAlone()
    {
        var odd = CogVideoXDownsample3D.HalveTime(Frames(1, 2, 4, 8, 16));
        CollectionAssert.AreEqual(new[] { 1f, 3f, 12f }, Values(odd));
        var even = CogVideoXDownsample3D.HalveTime(Frames(1, 2, 4, 8));
        CollectionAssert.AreEqual(new[] { 1.5f, 6f }, Values(even));
        var single = CogVideoXDownsample3D.HalveTime(Frames(5));
        CollectionAssert.AreEqual(new[] { 5f }, Values(single));
    }

    [TestMethod]
    public void SpatialDownsamplePadsOnlyRightAndBottom()
    {
        using var down = new CogVideoXDownsample3D(1, 1, compressTime: false);
        SetParameter(down, "conv.weight", ones(new long[] { 1, 1, 3, 3 }));
        SetParameter(down, "conv.bias", zeros(1));
        var y = down.forward(ones(new long[] { 1, 1, 2, 4, 4 }));
        CollectionAssert.AreEqual(new long[] { 1, 1, 2, 2, 2 }, y.shape);
        // 3x3 windows at rows/cols 0-2 and 2-4; row/col 4 is the zero pad: 9, 6 / 6, 4 (left/top padding would give 4 first).
        CollectionAssert.AreEqual(new[] { 9f, 6f, 6f, 4f, 9f, 6f, 6f, 4f }, Values(y));
    }

    [TestMethod]
    public void DownsampleWithTimeCompressionHalvesTimeThenSpace()
    {
        using var down = new CogVideoXDownsample3D(2, 2, compressTime: true);
        using var x = randn(new long[] { 1, 2, 17, 10, 16 });
        CollectionAssert.AreEqual(new long[] { 1, 2, 9, 5, 8 }, down.forward(x).shape);
        using var y = randn(new long[] { 1, 2, 16, 10, 16 });
        CollectionAssert.AreEqual(new long[] { 1, 2, 8, 5, 8 }, down.forward(y).shape);
    }

    [TestMethod]
    public void ResnetAddsA1x1x1ShortcutOnlyWhenWidthsDiffer()
    {
        using var same = new CogVideoXResnetBlock3D(8, 8, 4, 1e-6);
        using var wider = new CogVideoXResnetBlock3D(8, 16, 4, 1e-6);
        Assert.IsFalse(same.state_dict().Keys.Any(k => k.StartsWith("conv_shortcut")));
        CollectionAssert.AreEqual(new long[] { 16, 8, 1, 1, 1 }, wider.state_dict()["conv_shortcut.weight"].shape);
        // With conv2 zeroed the block is its shortcut: identity, or the 1x1x1 convolution.
        SetParameter(same, "conv2.conv.weight", zeros(new long[] { 8, 8, 3, 3, 3 }));
        SetParameter(same, "conv2.conv.bias", zeros(8));
        using var x = randn(new long[] { 1, 8, 3, 4, 4 });
        using var y = same.forward(x);
        Assert.IsTrue(Same(y, x), $"max diff {y.sub(x).abs().max().item<float>()}");
    }

    [TestMethod]
    public void ChunkPlanFollowsTheDesign()
    {
        CollectionAssert.AreEqual(new[] { (0, 17), (17, 16), (33, 16) }, CogVideoXEncoder3D.PlanChunks(49, 16, 4).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 17) }, CogVideoXEncoder3D.PlanChunks(17, 16, 4).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 5) }, CogVideoXEncoder3D.PlanChunks(5, 16, 4).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 1) }, CogVideoXEncoder3D.PlanChunks(1, 16, 4).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 17), (17, 16), (33, 8) }, CogVideoXEncoder3D.PlanChunks(41, 16, 4).ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => CogVideoXEncoder3D.PlanChunks(48, 16, 4));
        Assert.ThrowsExactly<ArgumentException>(() => CogVideoXEncoder3D.PlanChunks(49, 6, 4));
    }

    [TestMethod]
    public void EncoderChunksAreCausalAndNormalisedPerChunk()
    {
        manual_seed(11);
        using var encoder = VaeLoader.LoadEncoder(VaeTestSupport.TinyVaeDir, CPU, ScalarType.Float32);
        using var video = rand(new long[] { 1, 3, 41, 16, 24 }).mul(2).sub(1);
        using var full = encoder.Encode(video, 16);
        CollectionAssert.AreEqual(new long[] { 1, 32, 11, 2, 3 }, full.shape);
        // The first chunk never sees later frames: encoding only frames [0, 17) gives the same first 5 latents.
        using var head = encoder.Encode(video.narrow(2, 0, 17), 16);
        Assert.IsTrue(Same(full.narrow(2, 0, 5), head));
        // Changing a frame of the last chunk leaves the earlier latents alone.
        using var edited = video.clone();
        edited.narrow(2, 40, 1).fill_(0.5f);
        using var fullEdited = encoder.Encode(edited, 16);
        Assert.IsTrue(Same(full.narrow(2, 0, 9), fullEdited.narrow(2, 0, 9)));
        Assert.IsFalse(Same(full.narrow(2, 9, 2), fullEdited.narrow(2, 9, 2)));
        // GroupNorm statistics are per chunk: one 41-frame chunk gives different latents after the first chunk.
        using var oneChunk = encoder.Encode(video, 40);
        Assert.AreEqual(11, oneChunk.shape[2]);
        Assert.IsTrue(full.sub(oneChunk).abs().max().item<float>() > 1e-4f);
    }

    [TestMethod]
    public void CausalConvInBandsOfRowsGivesTheOutputsAndCacheOfOneCall()
    {
        // Small integers in, small integers as weights: every sum is exact in float32 whatever its order, so this
        // checks the bands themselves (halo rows, edges, time padding, cache), not the kernels' summation order.
        static Tensor Ints(long[] shape, int seed, int range)
        {
            var g = new Random(seed);
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = g.Next(-range, range + 1);
            return tensor(values, shape);
        }
        long aboveBefore = CogVideoXCausalConv3d.BandAboveBytes, sliceBefore = CogVideoXCausalConv3d.BandBytes, rowsBefore = CogVideoXCausalConv3d.MinBandRows;
        try
        {
            using var whole = new CogVideoXCausalConv3d(4, 6);
            using var banded = new CogVideoXCausalConv3d(4, 6);
            SetParameter(whole, "conv.weight", Ints(new long[] { 6, 4, 3, 3, 3 }, 1, 1));
            SetParameter(whole, "conv.bias", Ints(new long[] { 6 }, 2, 3));
            SetParameter(banded, "conv.weight", whole.state_dict()["conv.weight"]);
            SetParameter(banded, "conv.bias", whole.state_dict()["conv.bias"]);
            // Chunks of 5, 4 and 1 frames, 23 rows: bands of 4 to 5 rows, the last chunk shorter than the cache.
            foreach (long frames in new long[] { 5, 4, 1 })
            {
                using var x = Ints(new long[] { 1, 4, frames, 23, 7 }, (int)frames, 2);
                CogVideoXCausalConv3d.BandAboveBytes = long.MaxValue;
                using var expected = whole.forward(x);
                CogVideoXCausalConv3d.BandAboveBytes = 0;
                CogVideoXCausalConv3d.BandBytes = 1;
                CogVideoXCausalConv3d.MinBandRows = 4;
                long calls = CogVideoXCausalConv3d.BandedCalls;
                using var actual = banded.forward(x);
                Assert.AreEqual(calls + 1, CogVideoXCausalConv3d.BandedCalls, "the banded path ran");
                Assert.IsTrue(Same(expected, actual), $"outputs differ for a {frames}-frame chunk");
                Assert.IsTrue(Same(whole.CachedFrames!, banded.CachedFrames!), $"caches differ after a {frames}-frame chunk");
            }
        }
        finally
        {
            CogVideoXCausalConv3d.BandAboveBytes = aboveBefore;
            CogVideoXCausalConv3d.BandBytes = sliceBefore;
            CogVideoXCausalConv3d.MinBandRows = rowsBefore;
        }
    }

    static byte[] Bytes(Tensor t) => t.contiguous().bytes.ToArray();

    [TestMethod]
    public void CausalConvInPlaceWritesTheBitsOfTheBandsIntoItsInput()
    {
        // Random floats: the in-place bands run the same band convolutions as the bands into a new tensor, so every
        // bit must be the same; the input tensor itself is the result, and the cache is taken before any row changes.
        long aboveBefore = CogVideoXCausalConv3d.BandAboveBytes, sliceBefore = CogVideoXCausalConv3d.BandBytes, rowsBefore = CogVideoXCausalConv3d.MinBandRows;
        try
        {
            manual_seed(5);
            using var separate = new CogVideoXCausalConv3d(6, 6);
            using var inPlace = new CogVideoXCausalConv3d(6, 6);
            SetParameter(inPlace, "conv.weight", separate.state_dict()["conv.weight"]);
            SetParameter(inPlace, "conv.bias", separate.state_dict()["conv.bias"]);
            CogVideoXCausalConv3d.BandAboveBytes = 0;
            CogVideoXCausalConv3d.BandBytes = 1;
            CogVideoXCausalConv3d.MinBandRows = 4;
            // Chunks of 5, 4 and 1 frames, 23 rows in bands of 4 to 5 rows, the last chunk shorter than the cache.
            foreach (long frames in new long[] { 5, 4, 1 })
            {
                using var x = randn(new long[] { 1, 6, frames, 23, 7 });
                using var expected = separate.forward(x);
                Assert.IsFalse(ReferenceEquals(x, expected));
                var owned = x.clone();
                using var actual = inPlace.Forward(owned, consumeInput: true);
                Assert.IsTrue(ReferenceEquals(owned, actual), "the result is the input tensor itself");
                CollectionAssert.AreEqual(Bytes(expected), Bytes(actual), $"outputs differ for a {frames}-frame chunk");
                CollectionAssert.AreEqual(Bytes(separate.CachedFrames!), Bytes(inPlace.CachedFrames!), $"caches differ after a {frames}-frame chunk");
            }
            // Integer-valued data, where every sum is exact whatever its order: the in-place bands equal one call.
            using var whole = new CogVideoXCausalConv3d(6, 6);
            using var banded = new CogVideoXCausalConv3d(6, 6);
            using (var w = randint(-1, 2, new long[] { 6, 6, 3, 3, 3 }).to(ScalarType.Float32)) { SetParameter(whole, "conv.weight", w); SetParameter(banded, "conv.weight", w); }
            using (var b = randint(-3, 4, new long[] { 6 }).to(ScalarType.Float32)) { SetParameter(whole, "conv.bias", b); SetParameter(banded, "conv.bias", b); }
            foreach (long frames in new long[] { 5, 4, 1 })
            {
                using var x = randint(-2, 3, new long[] { 1, 6, frames, 23, 7 }).to(ScalarType.Float32);
                CogVideoXCausalConv3d.BandAboveBytes = long.MaxValue;
                using var expected = whole.forward(x);
                CogVideoXCausalConv3d.BandAboveBytes = 0;
                long calls = CogVideoXCausalConv3d.BandedCalls;
                using var actual = banded.Forward(x.clone(), consumeInput: true);
                Assert.AreEqual(calls + 1, CogVideoXCausalConv3d.BandedCalls, "the banded path ran");
                CollectionAssert.AreEqual(Bytes(expected), Bytes(actual), $"outputs differ for a {frames}-frame chunk");
                CollectionAssert.AreEqual(Bytes(whole.CachedFrames!), Bytes(banded.CachedFrames!), $"caches differ after a {frames}-frame chunk");
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
    [DataRow(1L, 1L)]
    [DataRow(1L, 3L)]
    [DataRow(2L, 2L)]
    public void GroupNormInPlaceByGroupsGivesTheBitsOfOneCall(long batch, long groupsPerSlice)
    {
        // Random floats of several scales and offsets (the moments are not exact), float32 and BF16 affine weights,
        // slices of one or more groups with an uneven last slice, and a batch of two (slices that are not contiguous).
        long aboveBefore = CogVideoXCausalConv3d.BandAboveBytes, sliceBefore = CogVideoXCausalConv3d.BandBytes;
        try
        {
            manual_seed(17 + batch + groupsPerSlice);
            foreach (var weightType in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            foreach (var (scale, offset) in new[] { (1f, 0f), (3.7f, 11.3f), (1e-3f, -0.5f) })
            {
                using var norm = CogVideoXResnetBlock3D.NewGroupNorm(8, 32, 1e-6);
                using (var w = randn(32).add(1)) SetParameter(norm, "weight", w);
                using (var b = randn(32)) SetParameter(norm, "bias", b);
                norm.to(weightType);
                using var x = randn(new long[] { batch, 32, 5, 23, 7 }).mul(scale).add(offset);
                CogVideoXCausalConv3d.BandAboveBytes = long.MaxValue;
                using var expected = VideoDataset.Core.Models.ModelWeights.Norm(norm, x);
                CogVideoXCausalConv3d.BandAboveBytes = 0;
                // One group: 4 channels of batch x 5x23x7 float32 values.
                CogVideoXCausalConv3d.BandBytes = groupsPerSlice * batch * 4 * 5 * 23 * 7 * 4;
                var owned = x.clone();
                using var actual = CogVideoXResnetBlock3D.NormConsuming(norm, owned);
                Assert.IsTrue(ReferenceEquals(owned, actual), "normalised in place");
                CollectionAssert.AreEqual(Bytes(expected), Bytes(actual), $"{weightType} weights, scale {scale}, offset {offset}: outputs differ in some bit");
            }
        }
        finally
        {
            CogVideoXCausalConv3d.BandAboveBytes = aboveBefore;
            CogVideoXCausalConv3d.BandBytes = sliceBefore;
        }
    }
}
