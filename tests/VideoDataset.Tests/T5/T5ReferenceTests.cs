using TorchSharp;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.T5;

/// <summary>The C# encoder against the independent PyTorch reference (t5_reference.py), at length 498 with padding.</summary>
[TestClass]
[TestCategory("Reference")]
public class T5ReferenceTests
{
    const int Length = 498;

    /// <summary>float32 within 2e-5 relative of the reference; bf16 output within one step of it (99 % identical).</summary>
    internal static void CompareWithReference(string modelDir, T5Config config, int seed, int length = Length)
    {
        var texts = T5TestSupport.PaddedTexts(3, length, config.VocabSize, seed);
        float[] expected = T5TestSupport.ReferenceEncode(modelDir, texts);
        double float32Tolerance;
        Assert.AreEqual(texts.Count * length * config.DModel, expected.Length);

        // float32: the same arithmetic up to summation order.
        using (var model = T5EncoderModel.Load(modelDir, torch.CPU, ScalarType.Float32))
        using (torch.inference_mode())
        {
            var flat = texts.SelectMany(t => t.Select(i => (long)i)).ToArray();
            using var ids = torch.tensor(flat, new long[] { texts.Count, length });
            using var hidden = model.forward(ids);
            CollectionAssert.AreEqual(new long[] { texts.Count, length, config.DModel }, hidden.shape);
            float[] actual = hidden.data<float>().ToArray();
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
                maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
            }
            Assert.IsTrue(maxAbs > 0.5 && maxAbs < 100, $"activations out of the sane range: max |x| = {maxAbs}");
            float32Tolerance = 2e-5 * Math.Max(1, maxAbs);
            Console.WriteLine($"float32: max abs diff {maxDiff:G3}, max |x| {maxAbs:G3}");
            Assert.IsTrue(maxDiff < float32Tolerance, $"max abs diff {maxDiff} (max |x| {maxAbs})");
        }

        // bf16 through the facade (batch of 2: one full batch, one partial): within one bf16 step of the reference.
        using var encoder = new T5TextEncoder(T5EncoderModel.Load(modelDir, torch.CPU, ScalarType.Float32), torch.CPU, ScalarType.Float32, batchSize: 2);
        TensorData[] outputs = encoder.Encode(texts);
        Assert.AreEqual(texts.Count, outputs.Length);
        int exactBits = 0, total = 0;
        for (int t = 0; t < texts.Count; t++)
        {
            Assert.AreEqual(TensorDType.BFloat16, outputs[t].DType);
            CollectionAssert.AreEqual(new long[] { length, config.DModel }, outputs[t].Shape);
            for (int i = 0; i < length * config.DModel; i++)
            {
                int actualBits = BitConverter.ToUInt16(outputs[t].Bytes, 2 * i);
                int expectedBits = TensorData.ToBFloat16Bits(expected[t * length * config.DModel + i]);
                // One bf16 step (same sign: adjacent bit patterns are adjacent values); near zero, where a
                // step is finer than float32 summation noise, the float32 tolerance instead.
                float e = expected[t * length * config.DModel + i], a = TensorData.FromBFloat16Bits((ushort)actualBits);
                Assert.IsTrue(Math.Abs(actualBits - expectedBits) <= 1 || Math.Abs(a - e) <= float32Tolerance,
                    $"text {t} element {i}: bf16 {actualBits:X4} ({a}) vs reference {expectedBits:X4} ({e})");
                if (actualBits == expectedBits) exactBits++;
                total++;
            }
        }
        Console.WriteLine($"bf16: {exactBits} of {total} identical to the reference");
        Assert.IsTrue(exactBits > 0.99 * total, $"only {exactBits} of {total} bf16 values identical to the reference");
    }

    [TestMethod]
    public void TinyModelMatchesPythonReference()
    {
        string dir = T5TestSupport.TempDir("tiny");
        try
        {
            TinyT5.Write(dir);
            CompareWithReference(dir, TinyT5.Config, seed: 11);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void OddHeadsThreeLayerModelMatchesPythonReference()
    {
        string dir = T5TestSupport.TempDir("second");
        try
        {
            TinyT5.Write(dir, T5TestSupport.SecondConfig, seed: 2024);
            CompareWithReference(dir, T5TestSupport.SecondConfig, seed: 12);
        }
        finally { Directory.Delete(dir, true); }
    }
}
