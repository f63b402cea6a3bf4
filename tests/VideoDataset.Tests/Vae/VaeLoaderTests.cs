using System.Security.Cryptography;
using TorchSharp;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Vae;

[TestClass]
[TestCategory("Unit")]
public class VaeLoaderTests
{
    static string CopyTiny(out List<(string Name, TensorData Tensor)> tensors)
    {
        string dir = VaeTestSupport.NewTempDir("vaeload");
        File.Copy(Path.Combine(VaeTestSupport.TinyVaeDir, "config.json"), Path.Combine(dir, "config.json"));
        var file = SafetensorsFile.Open(Path.Combine(VaeTestSupport.TinyVaeDir, VaeLoader.WeightsFileName));
        tensors = file.Entries.Keys.Select(k => (k, file.Read(k))).ToList();
        return dir;
    }

    [TestMethod]
    public void ModuleKeysAreTheDiffusersKeys()
    {
        using var encoder = new CogVideoXEncoder3D(TinyVae.Config);
        var moduleKeys = encoder.state_dict().Select(kv => (kv.Key, kv.Value.shape)).ToList();
        var expected = TinyVae.EncoderShapes(TinyVae.Config).ToList();
        CollectionAssert.AreEquivalent(expected.Select(e => e.Name).ToList(), moduleKeys.Select(k => k.Key).ToList());
        foreach (var (name, shape) in expected)
            CollectionAssert.AreEqual(shape, moduleKeys.Single(k => k.Key == name).shape, name);
        // Spot checks against names in the real CogVideoX checkpoint.
        var keys = moduleKeys.Select(k => k.Key).ToHashSet();
        foreach (var k in new[] { "conv_in.conv.weight", "down_blocks.0.resnets.0.norm1.weight", "down_blocks.1.downsamplers.0.conv.weight",
                     "down_blocks.2.resnets.0.conv_shortcut.weight", "mid_block.resnets.1.conv2.conv.bias", "norm_out.weight", "conv_out.conv.weight" })
            Assert.IsTrue(keys.Contains(k), k);
        // 3 time-and-space downsamplers for 4 blocks, none in the last.
        Assert.IsFalse(keys.Any(k => k.StartsWith("down_blocks.3.downsamplers")));
    }

    [TestMethod]
    public void LoadsWeightsByNameAndIgnoresDecoderKeys()
    {
        string weights = Path.Combine(VaeTestSupport.TinyVaeDir, VaeLoader.WeightsFileName);
        var file = SafetensorsFile.Open(weights);
        Assert.IsTrue(file.Entries.Keys.Any(k => k.StartsWith("decoder.")));
        using var encoder = VaeLoader.LoadEncoder(VaeTestSupport.TinyVaeDir, CPU, ScalarType.Float32);
        var state = encoder.state_dict();
        foreach (var name in new[] { "conv_in.conv.weight", "down_blocks.2.resnets.0.norm2.bias", "mid_block.resnets.0.conv1.conv.weight" })
        {
            var expected = file.Read("encoder." + name).ToFloat32();
            CollectionAssert.AreEqual(expected, state[name].flatten().data<float>().ToArray(), name);
        }
        Assert.IsFalse(encoder.training);
    }

    [TestMethod]
    public void LoadsBFloat16AndFloat16Weights()
    {
        foreach (var dtype in new[] { TensorDType.BFloat16, TensorDType.Float16 })
        {
            string dir = CopyTiny(out var tensors);
            var converted = tensors.Select(t => (t.Name, TensorData.FromFloat32(t.Tensor.ToFloat32(), t.Tensor.Shape, dtype))).ToList();
            SafetensorsFile.Write(Path.Combine(dir, VaeLoader.WeightsFileName), converted);
            using var encoder = VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32);
            var name = "down_blocks.2.resnets.0.conv_shortcut.weight";
            var expected = converted.Single(t => t.Name == "encoder." + name).Item2.ToFloat32();
            CollectionAssert.AreEqual(expected, encoder.state_dict()[name].flatten().data<float>().ToArray(), dtype.ToString());
        }
    }

    [TestMethod]
    public void EveryKeyProblemIsListedInOneVds4204()
    {
        string dir = CopyTiny(out var tensors);
        tensors.RemoveAll(t => t.Name == "encoder.conv_in.conv.bias" || t.Name == "encoder.mid_block.resnets.1.norm1.weight");
        tensors.Add(("encoder.down_blocks.0.resnets.0.temb_proj.weight", TensorData.FromFloat32(new float[4], new long[] { 2, 2 }, TensorDType.Float32)));
        tensors.Add(("vision_tower.weight", TensorData.FromFloat32(new float[1], new long[] { 1 }, TensorDType.Float32)));
        int i = tensors.FindIndex(t => t.Name == "encoder.norm_out.weight");
        tensors[i] = (tensors[i].Name, TensorData.FromFloat32(new float[3], new long[] { 3 }, TensorDType.Float32));
        string path = Path.Combine(dir, VaeLoader.WeightsFileName);
        SafetensorsFile.Write(path, tensors);
        var e = Assert.ThrowsExactly<DiagnosticException>(() => VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32));
        Assert.AreEqual("VDS4204", e.Diagnostic.Code);
        Assert.AreEqual(path, e.Diagnostic.File);
        foreach (var s in new[] { "missing encoder.conv_in.conv.bias", "missing encoder.mid_block.resnets.1.norm1.weight",
                     "unexpected encoder.down_blocks.0.resnets.0.temb_proj.weight", "unexpected vision_tower.weight",
                     "encoder.norm_out.weight has shape [3], expected [64]" })
            StringAssert.Contains(e.Message, s);
        StringAssert.Contains(e.Message, "5 problem(s)");
    }

    [TestMethod]
    public void MissingWeightsAreVds4120AndGarbageIsVds4103()
    {
        string dir = CopyTiny(out _);
        var e = Assert.ThrowsExactly<DiagnosticException>(() => VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32));
        Assert.AreEqual("VDS4120", e.Diagnostic.Code);
        StringAssert.Contains(e.Message, "diffusion_pytorch_model.safetensors.index.json");
        string path = Path.Combine(dir, VaeLoader.WeightsFileName);
        File.WriteAllBytes(path, new byte[] { 5, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x' });
        e = Assert.ThrowsExactly<DiagnosticException>(() => VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32));
        Assert.AreEqual("VDS4103", e.Diagnostic.Code); // the header length runs past the end of the file
        Assert.AreEqual(path, e.Diagnostic.File);
    }

    [TestMethod]
    public void ShardedWeightsLoadLikeTheSingleFile()
    {
        string dir = CopyTiny(out var tensors);
        var weightMap = new Dictionary<string, string>();
        for (int s = 0; s < 2; s++)
        {
            string shard = $"diffusion_pytorch_model-{s + 1:00000}-of-00002.safetensors";
            var part = tensors.Where((_, i) => i % 2 == s).ToList();
            SafetensorsFile.Write(Path.Combine(dir, shard), part);
            foreach (var (name, _) in part) weightMap[name] = shard;
        }
        File.WriteAllText(Path.Combine(dir, VaeLoader.WeightsFileName + ".index.json"),
            System.Text.Json.JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        try
        {
            using var sharded = VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32);
            using var single = VaeLoader.LoadEncoder(VaeTestSupport.TinyVaeDir, CPU, ScalarType.Float32);
            var a = sharded.state_dict();
            var b = single.state_dict();
            CollectionAssert.AreEquivalent(b.Keys.ToList(), a.Keys.ToList());
            foreach (var (name, t) in b)
                CollectionAssert.AreEqual(t.flatten().data<float>().ToArray(), a[name].flatten().data<float>().ToArray(), name);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TinyVaeIsDeterministic()
    {
        string a = VaeTestSupport.NewTempDir("tinyA"), b = VaeTestSupport.NewTempDir("tinyB");
        TinyVae.Write(a);
        TinyVae.Write(b);
        foreach (var f in new[] { "config.json", VaeLoader.WeightsFileName })
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)), f);
        // Pinned: the weights' values (not the header layout) must never change, on any machine.
        var file = SafetensorsFile.Open(Path.Combine(a, VaeLoader.WeightsFileName));
        using var sha = SHA256.Create();
        foreach (var name in file.Entries.Keys.Order(StringComparer.Ordinal))
        {
            var bytes = file.Read(name).Bytes;
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        Assert.AreEqual(PinnedWeightsSha256, Convert.ToHexString(sha.Hash!));
        var config = VaeConfig.Load(Path.Combine(a, "config.json"));
        Assert.AreEqual(TinyVae.Config with { }, config with { DownBlockTypes = TinyVae.Config.DownBlockTypes, BlockOutChannels = TinyVae.Config.BlockOutChannels });
        CollectionAssert.AreEqual(new[] { 32, 32, 64, 64 }, config.BlockOutChannels.ToArray());
    }

    const string PinnedWeightsSha256 = "C480FB3FFDC514AEA07B911719B7D6FCDFF22CE9E97199DA529612A477CEDCFB";
}
