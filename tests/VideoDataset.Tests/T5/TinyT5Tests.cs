using System.Security.Cryptography;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.T5;

[TestClass]
[TestCategory("Unit")]
public class TinyT5Tests
{
    [TestMethod]
    public void TinyModelIsByteIdenticalEverywhere()
    {
        string a = T5TestSupport.TempDir("tinyA"), b = T5TestSupport.TempDir("tinyB");
        try
        {
            TinyT5.Write(a);
            TinyT5.Write(b);
            byte[] weights = File.ReadAllBytes(Path.Combine(a, "model.safetensors"));
            CollectionAssert.AreEqual(weights, File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, "config.json")), File.ReadAllBytes(Path.Combine(b, "config.json")));
            // Pinned (names and tensor bytes, not the file header's formatting): the generator uses integer
            // arithmetic and IEEE-exact operations only, so any machine must produce these values; a change
            // here changes every tiny dataset's embeddings.
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var file = SafetensorsFile.Open(Path.Combine(a, "model.safetensors"));
            foreach (var name in file.Entries.Keys.Order(StringComparer.Ordinal))
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
                hash.AppendData(file.Read(name).Bytes);
            }
            Assert.AreEqual(PinnedWeightsSha256, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    const string PinnedWeightsSha256 = "05828a00d608f9ce1133589d28688dd04a47353ea8815f39cbb9ec9a9099f72f";

    [TestMethod]
    public void TinyConfigRoundTripsThroughConfigJson()
    {
        string dir = T5TestSupport.TempDir("tinycfg");
        try
        {
            TinyT5.Write(dir);
            var loaded = T5Config.Load(Path.Combine(dir, "config.json"));
            Assert.AreEqual(TinyT5.Config with { SourcePath = loaded.SourcePath }, loaded);
            Assert.AreEqual(64, loaded.DModel);
            Assert.AreEqual(1152, loaded.VocabSize);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TinyWeightsHaveT5InitScales()
    {
        var weights = TinyT5.Weights(TinyT5.Config, TinyT5.Seed).ToDictionary(w => w.Name, w => w.Tensor.ToFloat32());
        static double Std(float[] v) { double m = v.Average(x => (double)x); return Math.Sqrt(v.Average(x => (x - m) * (x - m))); }
        Assert.AreEqual(1.0, Std(weights["shared.weight"]), 0.02);
        Assert.AreEqual(1 / Math.Sqrt(64 * 16), Std(weights["encoder.block.0.layer.0.SelfAttention.q.weight"]), 0.003);
        Assert.AreEqual(1 / Math.Sqrt(64), Std(weights["encoder.block.1.layer.0.SelfAttention.k.weight"]), 0.01);
        Assert.AreEqual(1 / Math.Sqrt(128), Std(weights["encoder.block.1.layer.1.DenseReluDense.wo.weight"]), 0.01);
        Assert.AreEqual(1.0, weights["encoder.final_layer_norm.weight"].Average(), 0.05);
        Assert.IsFalse(weights.ContainsKey("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"));
    }
}
