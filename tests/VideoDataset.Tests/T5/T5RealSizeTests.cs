using System.Diagnostics;
using TorchSharp;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Tensors;
using VideoDataset.Tests.Support;
using static TorchSharp.torch;

namespace VideoDataset.Tests.T5;

/// <summary>
/// Half-precision weights kept as stored, and T5 v1.1 XXL's real shapes and checkpoint layout (cut to two
/// layers): what users load, with random weights since no real ones can be downloaded here.
/// </summary>
[TestClass]
[TestCategory("Reference")]
public class T5RealSizeTests
{
    static Tensor Forward(string dir, List<int[]> texts, out ScalarType embeddingType)
    {
        using var model = T5EncoderModel.Load(dir, CPU, ScalarType.Float32);
        embeddingType = model.named_parameters().Single(p => p.name == "shared.weight").parameter.dtype;
        using var inference = inference_mode();
        using var ids = tensor(texts.SelectMany(t => t.Select(i => (long)i)).ToArray(), new long[] { texts.Count, texts[0].Length });
        return model.forward(ids);
    }

    [TestMethod]
    [DataRow(TensorDType.BFloat16)]
    [DataRow(TensorDType.Float16)]
    public void HalfWeightsKeptAsStoredGiveTheBitsOfWeightsConvertedAtLoad(TensorDType dtype)
    {
        var config = T5TestSupport.SecondConfig;
        string half = T5TestSupport.TempDir("half"), widened = T5TestSupport.TempDir("widened");
        try
        {
            var halfWeights = RealSizeModels.Converted(TinyT5.Weights(config, 77), dtype);
            TinyT5.WriteConfig(Path.Combine(half, "config.json"), config);
            SafetensorsFile.Write(Path.Combine(half, T5Checkpoint.WeightsFileName), halfWeights);
            // The same values as float32: what the model computed with when it converted the weights at load.
            TinyT5.WriteConfig(Path.Combine(widened, "config.json"), config);
            SafetensorsFile.Write(Path.Combine(widened, T5Checkpoint.WeightsFileName), RealSizeModels.Converted(halfWeights, TensorDType.Float32));

            var texts = T5TestSupport.PaddedTexts(3, 60, config.VocabSize, seed: 5);
            using var fromHalf = Forward(half, texts, out var halfType);
            using var fromWidened = Forward(widened, texts, out var widenedType);
            Assert.AreEqual(TorchConvert.ToScalarType(dtype), halfType, "half weights stay in their stored dtype");
            Assert.AreEqual(ScalarType.Float32, widenedType, "float32 weights stay float32");
            Assert.AreEqual(ScalarType.Float32, fromHalf.dtype);
            Assert.IsTrue(fromHalf.abs().max().item<float>() > 0.5f, "degenerate output");
            CollectionAssert.AreEqual(fromWidened.bytes.ToArray(), fromHalf.bytes.ToArray(), "outputs differ in some bit");
        }
        finally
        {
            Directory.Delete(half, true);
            Directory.Delete(widened, true);
        }
    }

    [TestMethod]
    public void XxlConfigWithoutTheDerivedKeysTakesTransformersDefaults()
    {
        string dir = T5TestSupport.TempDir("xxlconfig");
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), RealSizeModels.T5XxlConfigJson(2));
            var c = T5Config.Load(Path.Combine(dir, "config.json"));
            Assert.AreEqual(128, c.RelativeAttentionMaxDistance);
            Assert.AreEqual("gelu_new", c.DenseActFn); // "gated-gelu" is kept as gelu_new for backward compatibility
            Assert.IsTrue(c.IsGatedAct);
            Assert.AreEqual((4096, 10240, 64, 64, 32128, 2, 32, 1e-6), (c.DModel, c.DFf, c.NumHeads, c.DKv, c.VocabSize, c.NumLayers, c.RelativeAttentionNumBuckets, c.LayerNormEpsilon));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void XxlShapeInShardsWithBothEmbeddingKeysLoadsAndMatchesTheReference()
    {
        string dir = T5TestSupport.TempDir("xxl");
        try
        {
            var clock = Stopwatch.StartNew();
            RealSizeModels.WriteT5Xxl(dir, layers: 2);
            Console.WriteLine($"wrote 2-layer XXL weights in {clock.Elapsed.TotalSeconds:F1} s");
            Assert.IsTrue(File.Exists(Path.Combine(dir, "model.safetensors.index.json")));
            var config = T5Config.Load(Path.Combine(dir, "config.json"));
            clock.Restart();
            using (var model = T5EncoderModel.Load(dir, CPU, ScalarType.Float32))
            {
                Console.WriteLine($"loaded in {clock.Elapsed.TotalSeconds:F1} s");
                var parameters = model.named_parameters().ToList();
                Assert.AreEqual(1 + 9 * 2 + 1 + 1, parameters.Count);
                Assert.IsTrue(parameters.All(p => p.parameter.dtype == ScalarType.BFloat16 && p.parameter.device_type == DeviceType.CPU));
                Assert.AreEqual(32128L * 4096 + 2 * (4L * 4096 * 4096 + 3L * 4096 * 10240 + 2 * 4096) + 32 * 64 + 4096,
                    parameters.Sum(p => p.parameter.numel()));
            }
            clock.Restart();
            T5ReferenceTests.CompareWithReference(dir, config, seed: 13, length: 16);
            Console.WriteLine($"compared with the reference in {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void XxlEmbeddingsAreTheSameBytesWhateverTheBatchAndTheThreadCount()
    {
        // Shards batch other texts together than one machine does, and may run on one CPU (DESIGN §8: byte for byte the
        // one-machine build). At XXL's widths and 498 tokens, each text's float32 output must not depend on either.
        string dir = T5TestSupport.TempDir("xxlbatch");
        int threads = get_num_threads();
        try
        {
            RealSizeModels.WriteT5Xxl(dir, layers: 2);
            var texts = T5TestSupport.PaddedTexts(3, 498, 32128, seed: 17);
            using var model = T5EncoderModel.Load(dir, CPU, ScalarType.Float32);
            using var inference = inference_mode();
            byte[][] Encode(IEnumerable<int[]> batch, int threadCount)
            {
                set_num_threads(threadCount);
                var list = batch.ToList();
                using var ids = tensor(list.SelectMany(t => t.Select(i => (long)i)).ToArray(), new long[] { list.Count, 498 });
                using var output = model.forward(ids);
                return Enumerable.Range(0, list.Count).Select(i => { using var row = output[i]; return row.bytes.ToArray(); }).ToArray();
            }
            var together = Encode(texts, 2);
            var alone = Encode(texts.Take(1), 1);
            var pair = Encode(texts.Skip(1), 2);
            Assert.IsTrue(together[0].AsSpan().SequenceEqual(alone[0]), "text 0 alone on one thread differs from the batch of three on two");
            Assert.IsTrue(together[1].AsSpan().SequenceEqual(pair[0]) && together[2].AsSpan().SequenceEqual(pair[1]),
                "texts 1 and 2 batched as a pair differ from the batch of three");
            Assert.IsFalse(together[1].AsSpan().SequenceEqual(together[2]), "degenerate: two texts encode alike");
        }
        finally
        {
            set_num_threads(threads);
            Directory.Delete(dir, true);
        }
    }
}
