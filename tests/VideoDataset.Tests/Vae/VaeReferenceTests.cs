using TorchSharp;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Vae;

/// <summary>The C# encoder against an independent PyTorch implementation (tests/VideoDataset.Tests/python/vae_reference.py).</summary>
[TestClass]
[TestCategory("Unit")]
public class VaeReferenceTests
{
    [TestMethod]
    public void EncoderMatchesThePyTorchReferenceWithAndWithoutChunking()
    {
        string dir = VaeTestSupport.NewTempDir("vaeref");
        manual_seed(2024);
        using var video = rand(new long[] { 1, 3, 33, 48, 64 }).mul(2).sub(1);
        string input = Path.Combine(dir, "video.safetensors"), output = Path.Combine(dir, "latent.safetensors");
        SafetensorsFile.Write(input, new[] { ("video", TorchConvert.FromTorch(video, TensorDType.Float32)) });
        VaeTestSupport.Run("/usr/bin/python3", Path.Combine(VaeTestSupport.PythonDir, "vae_reference.py"),
            VaeTestSupport.TinyVaeDir, input, "8,32", output);
        var reference = SafetensorsFile.Open(output);

        using var encoder = VaeLoader.LoadEncoder(VaeTestSupport.TinyVaeDir, CPU, ScalarType.Float32);
        foreach (int w in new[] { 8, 32 })
        {
            using var ours = encoder.Encode(video, w).squeeze(0).permute(1, 0, 2, 3).contiguous();
            using var theirs = TorchConvert.ToTorch(reference.Read($"latent_{w}"));
            CollectionAssert.AreEqual(new long[] { 9, 32, 6, 8 }, ours.shape);
            CollectionAssert.AreEqual(theirs.shape, ours.shape);
            float scale = theirs.abs().max().item<float>();
            float diff = ours.sub(theirs).abs().max().item<float>();
            Assert.IsTrue(scale > 0.05f, $"reference output is degenerate (max {scale})");
            Assert.IsTrue(diff <= 1e-4f * scale, $"chunk {w}: max abs diff {diff} against max {scale}");
            // In bf16 (the file dtype) at most one ulp apart, except where both are within the float tolerance
            // (near zero a bf16 ulp is far below any float32 rounding noise).
            using var a = ours.to(ScalarType.BFloat16).to(ScalarType.Float32);
            using var b = theirs.to(ScalarType.BFloat16).to(ScalarType.Float32);
            using var ulp = maximum(a.abs(), b.abs()).clamp_min(1e-30).log2().floor().sub(7).exp2();
            using var apart = a.sub(b).abs();
            using var ok = apart.le(ulp.mul(1.0001)).logical_or(apart.le(2e-4f * scale));
            Assert.IsTrue(ok.all().item<bool>(), $"chunk {w}: bf16 values more than 1 ulp apart: {apart.sub(ulp).max().item<float>()}");
            long exact = a.eq(b).sum().item<long>();
            Assert.IsTrue(exact > a.numel() * 9 / 10, $"chunk {w}: only {exact} of {a.numel()} bf16 values identical");
        }
    }
}
