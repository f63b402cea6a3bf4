using TorchSharp;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Vae;

/// <summary>The C# encoder against an independent PyTorch implementation (tests/VideoDataset.Tests/python/vae_reference.py).</summary>
[TestClass]
[TestCategory("Reference")]
public class VaeReferenceTests
{
    [TestMethod]
    public void EncoderMatchesThePyTorchReferenceWithAndWithoutChunking()
    {
        manual_seed(2024);
        using var video = rand(new long[] { 1, 3, 33, 48, 64 }).mul(2).sub(1);
        CompareWithReference(VaeTestSupport.TinyVaeDir, video, [8, 32], [9, 32, 6, 8]);
    }

    /// <summary>
    /// Encodes <paramref name="video"/> with each chunk length here and in vae_reference.py: float32 within 1e-4 of the
    /// largest value, bf16 at most one step apart (or within the float tolerance) and 90 % identical.
    /// </summary>
    internal static void CompareWithReference(string vaeDir, Tensor video, int[] chunkLengths, long[] latentShape)
    {
        string dir = VaeTestSupport.NewTempDir("vaeref");
        try
        {
            string input = Path.Combine(dir, "video.safetensors"), output = Path.Combine(dir, "latent.safetensors");
            SafetensorsFile.Write(input, new[] { ("video", TorchConvert.FromTorch(video, TensorDType.Float32)) });
            VaeTestSupport.Run("/usr/bin/python3", Path.Combine(VaeTestSupport.PythonDir, "vae_reference.py"),
                vaeDir, input, string.Join(",", chunkLengths), output);
            var reference = SafetensorsFile.Open(output);

            using var encoder = VaeLoader.LoadEncoder(vaeDir, CPU, ScalarType.Float32);
            foreach (int w in chunkLengths)
            {
                using var ours = encoder.Encode(video, w).squeeze(0).permute(1, 0, 2, 3).contiguous();
                using var theirs = TorchConvert.ToTorch(reference.Read($"latent_{w}"));
                CollectionAssert.AreEqual(latentShape, ours.shape);
                CollectionAssert.AreEqual(theirs.shape, ours.shape);
                float scale = theirs.abs().max().item<float>();
                float diff = ours.sub(theirs).abs().max().item<float>();
                Console.WriteLine($"chunk {w}: max abs diff {diff:G3}, max |x| {scale:G3}");
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
        finally { Directory.Delete(dir, true); }
    }
}
