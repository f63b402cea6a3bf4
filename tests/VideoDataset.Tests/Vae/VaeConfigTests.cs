using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.Vae;

namespace VideoDataset.Tests.Vae;

[TestClass]
[TestCategory("Unit")]
public class VaeConfigTests
{
    static string WriteConfig(string json)
    {
        string dir = VaeTestSupport.NewTempDir("vaecfg");
        string path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [TestMethod]
    public void MissingFieldsTakeDiffusersDefaults()
    {
        var c = VaeConfig.Load(WriteConfig("{\"_class_name\": \"AutoencoderKLCogVideoX\", \"sample_height\": 480}"));
        CollectionAssert.AreEqual(new[] { 128, 256, 256, 512 }, c.BlockOutChannels.ToArray());
        Assert.AreEqual(3, c.LayersPerBlock);
        Assert.AreEqual(16, c.LatentChannels);
        Assert.AreEqual(32, c.NormNumGroups);
        Assert.AreEqual(1e-6, c.NormEps);
        Assert.AreEqual(4.0, c.TemporalCompressionRatio);
        Assert.AreEqual(2, c.TemporalCompressLevel);
        Assert.AreEqual(8, c.SpatialCompression);
        Assert.AreEqual(3, c.InChannels);
    }

    [TestMethod]
    public void CogVideoX5bConfigParses()
    {
        // The fields of THUDM/CogVideoX-5b vae/config.json that matter.
        var c = VaeConfig.Load(WriteConfig("""
            {"act_fn": "silu", "block_out_channels": [128, 256, 256, 512],
             "down_block_types": ["CogVideoXDownBlock3D","CogVideoXDownBlock3D","CogVideoXDownBlock3D","CogVideoXDownBlock3D"],
             "force_upcast": true, "in_channels": 3, "latent_channels": 16, "layers_per_block": 3,
             "norm_eps": 1e-06, "norm_num_groups": 32, "out_channels": 3, "sample_height": 480, "sample_width": 720,
             "scaling_factor": 0.7, "temporal_compression_ratio": 4, "use_post_quant_conv": false, "use_quant_conv": false}
            """));
        Assert.AreEqual(16, c.LatentChannels);
        Assert.AreEqual(4, c.DownBlockTypes.Count);
    }

    [TestMethod]
    public void BadFieldIsVds4202NamingFileAndField()
    {
        string path = WriteConfig("{\"block_out_channels\": [32, \"x\"], \"down_block_types\": [\"CogVideoXDownBlock3D\", \"CogVideoXDownBlock3D\"]}");
        var e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        Assert.AreEqual("VDS4202", e.Diagnostic.Code);
        Assert.AreEqual(path, e.Diagnostic.File);
        StringAssert.Contains(e.Message, "block_out_channels");

        path = WriteConfig("{\"block_out_channels\": [32, 64], \"norm_num_groups\": 32}");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        StringAssert.Contains(e.Message, "down_block_types"); // 4 default block types for 2 widths

        path = WriteConfig("{\"block_out_channels\": [30, 60], \"down_block_types\": [\"CogVideoXDownBlock3D\", \"CogVideoXDownBlock3D\"], \"norm_num_groups\": 8, \"temporal_compression_ratio\": 2}");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        StringAssert.Contains(e.Message, "norm_num_groups");

        path = WriteConfig("{\"temporal_compression_ratio\": 3}");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        StringAssert.Contains(e.Message, "temporal_compression_ratio");
    }

    [TestMethod]
    public void ArrayFieldsKeepTheirOrderAndNameTheirFirstBadElement()
    {
        var c = VaeConfig.Load(WriteConfig("""
            {"block_out_channels": [32, 64, 96], "norm_num_groups": 32, "temporal_compression_ratio": 2,
             "down_block_types": ["CogVideoXDownBlock3D", "CogVideoXDownBlock3D", "CogVideoXDownBlock3D"]}
            """));
        CollectionAssert.AreEqual(new[] { 32, 64, 96 }, c.BlockOutChannels.ToArray());
        Assert.AreEqual(3, c.DownBlockTypes.Count);

        string path = WriteConfig("""{"block_out_channels": [64, 0, "x"]}""");
        var e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        Assert.AreEqual("VDS4202", e.Diagnostic.Code);
        Assert.AreEqual("VAE config field 'block_out_channels': expected a positive integer, found 0", e.Diagnostic.Message);

        path = WriteConfig("""{"block_out_channels": []}""");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        Assert.AreEqual("VAE config field 'block_out_channels': expected a non-empty array of positive integers", e.Diagnostic.Message);

        path = WriteConfig("""{"block_out_channels": [32, 64, 96], "down_block_types": ["CogVideoXDownBlock3D", 7, "CrossAttnDownBlock3D"]}""");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        Assert.AreEqual("VDS4202", e.Diagnostic.Code);
        Assert.AreEqual("VAE config field 'down_block_types': only \"CogVideoXDownBlock3D\" is supported, found 7", e.Diagnostic.Message);

        path = WriteConfig("""{"block_out_channels": [32, 64], "down_block_types": ["CogVideoXDownBlock3D", "CrossAttnDownBlock3D"]}""");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        Assert.AreEqual("VAE config field 'down_block_types': only \"CogVideoXDownBlock3D\" is supported, found CrossAttnDownBlock3D", e.Diagnostic.Message);
    }

    [TestMethod]
    public void MissingOrBrokenFileIsVds4201()
    {
        string dir = VaeTestSupport.NewTempDir("vaecfg");
        var e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(Path.Combine(dir, "config.json")));
        Assert.AreEqual("VDS4201", e.Diagnostic.Code);
        string path = WriteConfig("{\"latent_channels\": 16,\n  oops}");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeConfig.Load(path));
        Assert.AreEqual("VDS4201", e.Diagnostic.Code);
        Assert.AreEqual(2, e.Diagnostic.Line);
    }
}
