using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.T5;

namespace VideoDataset.Tests.T5;

[TestClass]
[TestCategory("Unit")]
public class T5ConfigTests
{
    static T5Config LoadJson(string json, out string path)
    {
        string dir = T5TestSupport.TempDir("config");
        path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json);
        try { return T5Config.Load(path); }
        finally { Directory.Delete(dir, true); }
    }

    static DiagnosticException LoadFails(string json, out string path)
    {
        string dir = T5TestSupport.TempDir("config");
        path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json);
        string p = path;
        try { return Assert.ThrowsExactly<DiagnosticException>(() => T5Config.Load(p)); }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void V11ConfigWithoutOptionalFieldsTakesTransformersDefaults()
    {
        // As older v1.1 checkpoints ship it: no relative_attention_max_distance, dense_act_fn or is_gated_act.
        var c = LoadJson("""
            {"d_ff": 10240, "d_kv": 64, "d_model": 4096, "num_heads": 64, "num_layers": 24,
             "feed_forward_proj": "gated-gelu", "vocab_size": 32128, "relative_attention_num_buckets": 32,
             "layer_norm_epsilon": 1e-06, "decoder_start_token_id": 0, "tie_word_embeddings": false}
            """, out string path);
        Assert.AreEqual(4096, c.DModel);
        Assert.AreEqual(10240, c.DFf);
        Assert.AreEqual(64, c.NumHeads);
        Assert.AreEqual(24, c.NumLayers);
        Assert.AreEqual(128, c.RelativeAttentionMaxDistance);
        Assert.AreEqual("gelu_new", c.DenseActFn);
        Assert.IsTrue(c.IsGatedAct);
        Assert.AreEqual(path, c.SourcePath);
    }

    [TestMethod]
    public void EmptyConfigIsTransformersDefaultT5()
    {
        var c = LoadJson("{}", out _);
        Assert.AreEqual(new T5Config { SourcePath = c.SourcePath }, c);
        Assert.AreEqual(512, c.DModel);
        Assert.AreEqual("relu", c.DenseActFn);
        Assert.IsFalse(c.IsGatedAct);
        Assert.AreEqual(1e-6, c.LayerNormEpsilon);
    }

    [TestMethod]
    public void ExplicitActivationFieldsOverrideFeedForwardProj()
    {
        var c = LoadJson("""{"feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu_pytorch_tanh", "is_gated_act": true}""", out _);
        Assert.AreEqual("gelu_pytorch_tanh", c.DenseActFn);
        var relu = LoadJson("""{"feed_forward_proj": "relu"}""", out _);
        Assert.AreEqual("relu", relu.DenseActFn);
        Assert.IsFalse(relu.IsGatedAct);
        var gatedSilu = LoadJson("""{"feed_forward_proj": "gated-silu"}""", out _);
        Assert.AreEqual("silu", gatedSilu.DenseActFn);
        Assert.IsTrue(gatedSilu.IsGatedAct);
    }

    [TestMethod]
    public void MalformedFeedForwardProjIsAnErrorNamingTheFile()
    {
        var e = LoadFails("""{"feed_forward_proj": "double-gelu"}""", out string path);
        Assert.AreEqual("VDS4303", e.Diagnostic.Code);
        Assert.AreEqual(path, e.Diagnostic.File);
        StringAssert.Contains(e.Message, "double-gelu");
        Assert.AreEqual("VDS4303", LoadFails("""{"feed_forward_proj": "gated-swishy"}""", out _).Diagnostic.Code);
    }

    [TestMethod]
    public void WrongFieldTypeNamesTheField()
    {
        var e = LoadFails("""{"d_model": "4096"}""", out string path);
        Assert.AreEqual("VDS4302", e.Diagnostic.Code);
        Assert.AreEqual(path, e.Diagnostic.File);
        StringAssert.Contains(e.Message, "'d_model'");
        StringAssert.Contains(LoadFails("""{"num_heads": 0}""", out _).Message, "'num_heads'");
        StringAssert.Contains(LoadFails("""{"layer_norm_epsilon": true}""", out _).Message, "'layer_norm_epsilon'");
        StringAssert.Contains(LoadFails("""{"relative_attention_num_buckets": 2}""", out _).Message, "relative_attention_num_buckets");
    }

    [TestMethod]
    public void MissingOrInvalidFileIsVds4301()
    {
        string dir = T5TestSupport.TempDir("config");
        string missing = Path.Combine(dir, "config.json");
        var e = Assert.ThrowsExactly<DiagnosticException>(() => T5Config.Load(missing));
        Directory.Delete(dir);
        Assert.AreEqual("VDS4301", e.Diagnostic.Code);
        Assert.AreEqual(missing, e.Diagnostic.File);
        Assert.AreEqual("VDS4301", LoadFails("{ not json", out _).Diagnostic.Code);
        Assert.AreEqual("VDS4301", LoadFails("[1, 2]", out _).Diagnostic.Code);
    }
}
