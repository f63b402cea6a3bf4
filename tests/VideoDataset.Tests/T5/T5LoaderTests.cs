using System.Text.Json;
using TorchSharp;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.T5;

[TestClass]
[TestCategory("Unit")]
public class T5LoaderTests
{
    static string _tinyDir = "";
    static List<int[]> _texts = [];
    static float[] _tinyOutput = [];

    [ClassInitialize]
    public static void WriteTiny(TestContext _)
    {
        _tinyDir = T5TestSupport.TempDir("loader-tiny");
        TinyT5.Write(_tinyDir);
        _texts = T5TestSupport.PaddedTexts(2, 40, TinyT5.Config.VocabSize, seed: 5);
        _tinyOutput = Run(_tinyDir);
    }

    [ClassCleanup]
    public static void RemoveTiny() => Directory.Delete(_tinyDir, true);

    static float[] Run(string dir, ScalarType computeType = ScalarType.Float32)
    {
        using var model = T5EncoderModel.Load(dir, torch.CPU, computeType);
        using var inference = torch.inference_mode();
        using var ids = torch.tensor(_texts.SelectMany(t => t.Select(i => (long)i)).ToArray(), new long[] { _texts.Count, _texts[0].Length });
        using var hidden = model.forward(ids);
        return hidden.to(ScalarType.Float32).data<float>().ToArray();
    }

    static List<(string Name, TensorData Tensor)> TinyTensors()
    {
        var file = SafetensorsFile.Open(Path.Combine(_tinyDir, "model.safetensors"));
        return file.Entries.Keys.Select(k => (k, file.Read(k))).ToList();
    }

    /// <summary>A model folder with the tiny config and the given tensors.</summary>
    static string Folder(IEnumerable<(string Name, TensorData Tensor)> tensors)
    {
        string dir = T5TestSupport.TempDir("loader");
        File.Copy(Path.Combine(_tinyDir, "config.json"), Path.Combine(dir, "config.json"));
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }

    [TestMethod]
    public void ParametersCarryTheHuggingFaceKeyNames()
    {
        using var model = new T5EncoderModel(TinyT5.Config);
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        var keys = SafetensorsFile.Open(Path.Combine(_tinyDir, "model.safetensors")).Entries.Keys.ToHashSet();
        Assert.IsTrue(names.SetEquals(keys), $"only in model: {string.Join(", ", names.Except(keys))}; only in file: {string.Join(", ", keys.Except(names))}");
        Assert.Contains("encoder.block.1.layer.1.DenseReluDense.wi_0.weight", names);
        Assert.Contains("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", names);
        Assert.DoesNotContain("encoder.embed_tokens.weight", names);
        Assert.HasCount(2 * 9 + 1 + 2, names); // 9 per block, bias in block 0, shared, final norm
    }

    [TestMethod]
    public void DecoderLmHeadAndTiedEmbeddingDuplicatesAreIgnored()
    {
        var tensors = TinyTensors();
        var shared = tensors.Single(t => t.Name == "shared.weight").Tensor;
        var extra = TensorData.FromFloat32(new float[64 * 64], [64, 64], TensorDType.Float32);
        tensors.Add(("encoder.embed_tokens.weight", shared));
        tensors.Add(("decoder.block.0.layer.0.SelfAttention.q.weight", extra));
        tensors.Add(("decoder.embed_tokens.weight", shared));
        tensors.Add(("lm_head.weight", shared));
        string dir = Folder(tensors);
        try { CollectionAssert.AreEqual(_tinyOutput, Run(dir)); }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void EmbeddingLoadsFromEncoderEmbedTokensWhenSharedIsAbsent()
    {
        var tensors = TinyTensors().Select(t => t.Name == "shared.weight" ? ("encoder.embed_tokens.weight", t.Tensor) : t);
        string dir = Folder(tensors);
        try { CollectionAssert.AreEqual(_tinyOutput, Run(dir)); }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void KeyProblemsAreOneErrorListingThemAll()
    {
        var tensors = TinyTensors()
            .Where(t => t.Name != "encoder.block.1.layer.0.SelfAttention.k.weight" && t.Name != "encoder.final_layer_norm.weight")
            .Select(t => t.Name == "encoder.block.0.layer.1.DenseReluDense.wo.weight"
                ? (t.Name, TensorData.FromFloat32(new float[64 * 100], [64, 100], TensorDType.Float32)) : t)
            .Append(("encoder.block.2.layer.0.SelfAttention.q.weight", TensorData.FromFloat32(new float[64 * 64], [64, 64], TensorDType.Float32)))
            .Append(("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight", TensorData.FromFloat32(new float[32 * 4], [32, 4], TensorDType.Float32)));
        string dir = Folder(tensors);
        try
        {
            var e = Assert.ThrowsExactly<DiagnosticException>(() => T5EncoderModel.Load(dir, torch.CPU, ScalarType.Float32));
            Assert.AreEqual("VDS4312", e.Diagnostic.Code);
            Assert.AreEqual(Path.Combine(dir, "model.safetensors"), e.Diagnostic.File);
            foreach (var expected in new[]
            {
                "missing: encoder.block.1.layer.0.SelfAttention.k.weight, encoder.final_layer_norm.weight",
                "encoder.block.0.layer.1.DenseReluDense.wo.weight is [64, 100], expected [64, 128]",
                "unexpected: encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight, encoder.block.2.layer.0.SelfAttention.q.weight",
                Path.Combine(dir, "config.json"),
            })
                StringAssert.Contains(e.Message, expected);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void FolderWithoutWeightsIsVds4120()
    {
        string dir = T5TestSupport.TempDir("noweights");
        try
        {
            File.Copy(Path.Combine(_tinyDir, "config.json"), Path.Combine(dir, "config.json"));
            var e = Assert.ThrowsExactly<DiagnosticException>(() => T5EncoderModel.Load(dir, torch.CPU, ScalarType.Float32));
            Assert.AreEqual("VDS4120", e.Diagnostic.Code);
            Assert.AreEqual(dir, e.Diagnostic.File);
            StringAssert.Contains(e.Message, "model.safetensors.index.json");
        }
        finally { Directory.Delete(dir, true); }
    }

    static string ShardedFolder(out string indexPath)
    {
        // Three shards, tensors spread round-robin as a sharded save would (order unrelated to names).
        string dir = T5TestSupport.TempDir("sharded");
        File.Copy(Path.Combine(_tinyDir, "config.json"), Path.Combine(dir, "config.json"));
        var tensors = TinyTensors();
        var weightMap = new Dictionary<string, string>();
        for (int s = 0; s < 3; s++)
        {
            string shard = $"model-{s + 1:00000}-of-00003.safetensors";
            var part = tensors.Where((_, i) => i % 3 == s).ToList();
            SafetensorsFile.Write(Path.Combine(dir, shard), part);
            foreach (var (name, _) in part) weightMap[name] = shard;
        }
        indexPath = Path.Combine(dir, "model.safetensors.index.json");
        File.WriteAllText(indexPath, JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        return dir;
    }

    [TestMethod]
    public void ShardedCheckpointEqualsUnsharded()
    {
        string dir = ShardedFolder(out _);
        try { CollectionAssert.AreEqual(_tinyOutput, Run(dir)); }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void ShardIndexNamingAMissingShardIsVds4122()
    {
        string dir = ShardedFolder(out string indexPath);
        try
        {
            File.Delete(Path.Combine(dir, "model-00002-of-00003.safetensors"));
            var e = Assert.ThrowsExactly<DiagnosticException>(() => T5EncoderModel.Load(dir, torch.CPU, ScalarType.Float32));
            Assert.AreEqual("VDS4122", e.Diagnostic.Code);
            Assert.AreEqual(indexPath, e.Diagnostic.File);
            StringAssert.Contains(e.Message, "model-00002-of-00003.safetensors");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [DataRow(TensorDType.BFloat16)]
    [DataRow(TensorDType.Float16)]
    public void HalfPrecisionCheckpointsLoadAsTheirExactFloat32Values(TensorDType dtype)
    {
        // The file in half precision, and the same values widened back to F32: identical models.
        var half = TinyTensors().Select(t => (t.Name, TensorData.FromFloat32(t.Tensor.ToFloat32(), t.Tensor.Shape, dtype))).ToList();
        var widened = half.Select(t => (t.Name, TensorData.FromFloat32(t.Item2.ToFloat32(), t.Item2.Shape, TensorDType.Float32)));
        string halfDir = Folder(half), wideDir = Folder(widened);
        try
        {
            float[] fromHalf = Run(halfDir);
            CollectionAssert.AreEqual(Run(wideDir), fromHalf);
            Assert.IsTrue(fromHalf.Zip(_tinyOutput).Max(p => Math.Abs(p.First - p.Second)) < 0.5, "rounded weights give a similar encoding");
        }
        finally { Directory.Delete(halfDir, true); Directory.Delete(wideDir, true); }
    }

    [TestMethod]
    public void BFloat16ComputeStaysCloseToFloat32()
    {
        // The CUDA path's dtype rules (float32 variance and softmax, bf16 elsewhere), exercised on the CPU.
        float[] bf16 = Run(_tinyDir, ScalarType.BFloat16);
        double maxDiff = bf16.Zip(_tinyOutput).Max(p => Math.Abs(p.First - p.Second));
        Assert.IsTrue(maxDiff < 0.25, $"bf16 compute differs from float32 by {maxDiff}");
        Assert.IsTrue(bf16.All(float.IsFinite));
    }

    [TestMethod]
    public void NonGatedReluConfigLoadsWiAndWo()
    {
        var config = TinyT5.Config with { FeedForwardProj = "relu", DenseActFn = "relu", IsGatedAct = false };
        string dir = T5TestSupport.TempDir("relu");
        try
        {
            TinyT5.Write(dir, config, seed: 3);
            using var model = T5EncoderModel.Load(dir, torch.CPU, ScalarType.Float32);
            Assert.IsFalse(model.Config.IsGatedAct);
            Assert.Contains("encoder.block.0.layer.1.DenseReluDense.wi.weight", model.named_parameters().Select(p => p.name).ToList());
            using var ids = torch.tensor(new long[] { 5, 6, 1, 0 }).reshape(1, 4);
            using var hidden = model.forward(ids);
            CollectionAssert.AreEqual(new long[] { 1, 4, 64 }, hidden.shape);
            Assert.IsTrue(hidden.isfinite().all().item<bool>());
        }
        finally { Directory.Delete(dir, true); }
    }
}

[TestClass]
[TestCategory("Unit")]
public class T5TextEncoderTests
{
    [TestMethod]
    public void EncodeReturnsOneBFloat16TensorPerTextIndependentOfBatching()
    {
        string dir = T5TestSupport.TempDir("facade");
        try
        {
            TinyT5.Write(dir);
            var texts = T5TestSupport.PaddedTexts(3, 498, TinyT5.Config.VocabSize, seed: 9);
            using var batched = T5TextEncoder.Load(dir, torch.CPU, batchSize: 3);
            using var single = T5TextEncoder.Load(dir, torch.CPU, batchSize: 1);
            Assert.AreEqual(ScalarType.Float32, batched.ComputeType);
            var a = batched.Encode(texts);
            var b = single.Encode(texts);
            Assert.HasCount(3, a);
            for (int i = 0; i < 3; i++)
            {
                Assert.AreEqual(TensorDType.BFloat16, a[i].DType);
                CollectionAssert.AreEqual(new long[] { 498, 64 }, a[i].Shape);
                var x = a[i].ToFloat32(); var y = b[i].ToFloat32();
                // Batching may change float32 summation order, which can flip a bf16 rounding.
                for (int j = 0; j < x.Length; j++) Assert.AreEqual(x[j], y[j], Math.Abs(y[j]) / 64 + 1e-4, $"text {i} element {j}");
            }
            // Padding is attended (no mask): the same text padded to another length encodes differently.
            var shorter = texts[1].Take(100).ToArray();
            var c = single.Encode([shorter])[0].ToFloat32();
            Assert.IsTrue(c.Zip(b[1].ToFloat32()).Any(p => p.First != p.Second));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TokenOutsideTheVocabularyIsVds4320AndUnequalLengthsAreRejected()
    {
        string dir = T5TestSupport.TempDir("facade-bad");
        try
        {
            TinyT5.Write(dir);
            using var encoder = T5TextEncoder.Load(dir, torch.CPU);
            var e = Assert.ThrowsExactly<DiagnosticException>(() => encoder.Encode([new[] { 5, 1152, 1, 0 }]));
            Assert.AreEqual("VDS4320", e.Diagnostic.Code);
            StringAssert.Contains(e.Message, "1152");
            Assert.ThrowsExactly<ArgumentException>(() => encoder.Encode([new[] { 5, 1 }, new[] { 5, 1, 0 }]));
            Assert.IsEmpty(encoder.Encode([]));
        }
        finally { Directory.Delete(dir, true); }
    }
}
