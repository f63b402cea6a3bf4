using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Tensors;

[TestClass]
[TestCategory("Unit")]
public class SafetensorsCheckpointTests
{
    static readonly (string Name, TensorData Tensor)[] Weights =
    [
        ("shared.weight", TorchTensorFileTests.Ramp(TensorDType.BFloat16, 32, 8)),
        ("encoder.block.0.layer.0.SelfAttention.q.weight", TorchTensorFileTests.Ramp(TensorDType.Float32, 8, 8)),
        ("encoder.block.0.layer.1.layer_norm.weight", TorchTensorFileTests.Ramp(TensorDType.Float16, 8)),
        ("encoder.final_layer_norm.weight", TorchTensorFileTests.Ramp(TensorDType.Float32, 8)),
    ];

    /// <summary>Writes Weights as two shards and an index in Hugging Face's layout.</summary>
    static void WriteSharded(string folder, string baseName = "model")
    {
        string shard1 = $"{baseName}-00001-of-00002.safetensors", shard2 = $"{baseName}-00002-of-00002.safetensors";
        SafetensorsFile.Write(Path.Combine(folder, shard1), Weights[..2]);
        SafetensorsFile.Write(Path.Combine(folder, shard2), Weights[2..]);
        var index = new
        {
            metadata = new { total_size = Weights.Sum(w => w.Tensor.Bytes.Length) },
            weight_map = Weights.Select((w, i) => (w.Name, File: i < 2 ? shard1 : shard2)).ToDictionary(x => x.Name, x => x.File),
        };
        File.WriteAllText(Path.Combine(folder, $"{baseName}.safetensors.index.json"), JsonSerializer.Serialize(index));
    }

    static Diagnostic Fails(string code, Action action)
    {
        var e = Assert.ThrowsExactly<DiagnosticException>(action);
        Assert.AreEqual(code, e.Diagnostic.Code, e.Message);
        return e.Diagnostic;
    }

    [TestMethod]
    public void ShardedReadsTheSameAsUnsharded()
    {
        using var dir = new TempFolder();
        string single = Directory.CreateDirectory(dir.File("single")).FullName, sharded = Directory.CreateDirectory(dir.File("sharded")).FullName;
        SafetensorsFile.Write(Path.Combine(single, "model.safetensors"), Weights);
        WriteSharded(sharded);

        var a = SafetensorsCheckpoint.Open(single, "model.safetensors");
        var b = SafetensorsCheckpoint.Open(sharded, "model.safetensors");
        CollectionAssert.AreEqual(Weights.Select(w => w.Name).ToArray(), a.Names.ToArray());
        CollectionAssert.AreEquivalent(a.Names.ToArray(), b.Names.ToArray());
        foreach (var (name, tensor) in Weights)
        {
            Assert.AreEqual(a.Entry(name).DType, b.Entry(name).DType);
            CollectionAssert.AreEqual(a.Entry(name).Shape, b.Entry(name).Shape);
            CollectionAssert.AreEqual(tensor.Bytes, a.Read(name).Bytes, name);
            CollectionAssert.AreEqual(tensor.Bytes, b.Read(name).Bytes, name);
            Assert.IsTrue(b.Contains(name));
        }
        CollectionAssert.AreEqual(new[] { Path.Combine(single, "model.safetensors") }, a.Files.ToArray());
        CollectionAssert.AreEqual(new[]
        {
            Path.Combine(sharded, "model.safetensors.index.json"),
            Path.Combine(sharded, "model-00001-of-00002.safetensors"),
            Path.Combine(sharded, "model-00002-of-00002.safetensors"),
        }, b.Files.ToArray());
    }

    [TestMethod]
    public void DiffusersFileNameAndItsIndex()
    {
        using var dir = new TempFolder();
        WriteSharded(dir.Path, "diffusion_pytorch_model");
        var c = SafetensorsCheckpoint.Open(dir.Path, "diffusion_pytorch_model.safetensors");
        Assert.HasCount(Weights.Length, c.Names);
    }

    [TestMethod]
    public void SingleFileWinsOverAnIndex()
    {
        using var dir = new TempFolder();
        WriteSharded(dir.Path);
        SafetensorsFile.Write(dir.File("model.safetensors"), Weights[..1]);
        var c = SafetensorsCheckpoint.Open(dir.Path, "model.safetensors");
        Assert.HasCount(1, c.Names);
        CollectionAssert.AreEqual(new[] { dir.File("model.safetensors") }, c.Files.ToArray());
    }

    [TestMethod]
    public void NoWeights_VDS4120()
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4120", () => SafetensorsCheckpoint.Open(dir.Path, "model.safetensors"));
        Assert.AreEqual(dir.Path, d.File);
        StringAssert.Contains(d.Message, "model.safetensors");
        StringAssert.Contains(d.Message, "model.safetensors.index.json");
    }

    [TestMethod]
    public void MalformedIndex_VDS4121()
    {
        using var dir = new TempFolder();
        string index = dir.File("model.safetensors.index.json");
        foreach (var text in new[] { "{\"weight_map\": {", "[]", "{\"metadata\": {}}", "{\"weight_map\": {\"a\": 3}}" })
        {
            File.WriteAllText(index, text);
            Assert.AreEqual(index, Fails("VDS4121", () => SafetensorsCheckpoint.Open(dir.Path, "model.safetensors")).File, text);
        }
    }

    [TestMethod]
    public void MissingShard_VDS4122()
    {
        using var dir = new TempFolder();
        WriteSharded(dir.Path);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var d = Fails("VDS4122", () => SafetensorsCheckpoint.Open(dir.Path, "model.safetensors"));
        StringAssert.Contains(d.Message, "model-00002-of-00002.safetensors");
    }

    [TestMethod]
    public void NameMissingFromItsShard_VDS4123()
    {
        using var dir = new TempFolder();
        WriteSharded(dir.Path);
        SafetensorsFile.Write(dir.File("model-00002-of-00002.safetensors"), Weights[2..3]); // drops the last tensor
        var d = Fails("VDS4123", () => SafetensorsCheckpoint.Open(dir.Path, "model.safetensors"));
        Assert.AreEqual(dir.File("model-00002-of-00002.safetensors"), d.File);
        StringAssert.Contains(d.Message, "encoder.final_layer_norm.weight");
    }

    [TestMethod]
    public void UnknownName_VDS4124()
    {
        using var dir = new TempFolder();
        SafetensorsFile.Write(dir.File("model.safetensors"), Weights);
        var c = SafetensorsCheckpoint.Open(dir.Path, "model.safetensors");
        Fails("VDS4124", () => c.Read("lm_head.weight"));
        Fails("VDS4124", () => c.Entry("lm_head.weight"));
    }

    [TestMethod]
    public void ABrokenShardReportsItsOwnError()
    {
        using var dir = new TempFolder();
        WriteSharded(dir.Path);
        string shard = dir.File("model-00001-of-00002.safetensors");
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..^3]);
        Assert.AreEqual(shard, Fails("VDS4111", () => SafetensorsCheckpoint.Open(dir.Path, "model.safetensors")).File);
    }
}
