using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Tensors;

[TestClass]
public class SafetensorsCheckpointShardTests
{
    static TensorData Values(params float[] v) => TensorData.FromFloat32(v, [v.Length], TensorDType.Float32);

    static void WriteIndex(TempFolder dir, object weightMap) =>
        File.WriteAllText(dir.File("model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));

    /// <summary>Two shards: a and c in the first, b in the second.</summary>
    static void WriteShards(TempFolder dir)
    {
        SafetensorsFile.Write(dir.File("model-00001-of-00002.safetensors"), [("a", Values(1, 2)), ("c", Values(5))]);
        SafetensorsFile.Write(dir.File("model-00002-of-00002.safetensors"), [("b", Values(3, 4, 6))]);
        WriteIndex(dir, new Dictionary<string, string>
        {
            ["a"] = "model-00001-of-00002.safetensors",
            ["b"] = "model-00002-of-00002.safetensors",
            ["c"] = "model-00001-of-00002.safetensors",
        });
    }

    static DiagnosticException OpenFails(TempFolder dir) =>
        Assert.ThrowsExactly<DiagnosticException>(() => SafetensorsCheckpoint.Open(dir.Path, "model.safetensors"));

    [TestMethod]
    public void SingleFileIsPreferredAndReadByName()
    {
        using var dir = new TempFolder();
        WriteShards(dir); // present but unused: the single file wins, as in transformers
        SafetensorsFile.Write(dir.File("model.safetensors"), [("x", Values(7, 8))]);
        var checkpoint = SafetensorsCheckpoint.Open(dir.Path, "model.safetensors");
        CollectionAssert.AreEqual(new[] { "x" }, checkpoint.Names.ToArray());
        CollectionAssert.AreEqual(new[] { dir.File("model.safetensors") }, checkpoint.Files.ToArray());
        CollectionAssert.AreEqual(new float[] { 7, 8 }, checkpoint.Read("x").ToFloat32());
    }

    [TestMethod]
    public void ShardsAreReadThroughTheIndex()
    {
        using var dir = new TempFolder();
        WriteShards(dir);
        var checkpoint = SafetensorsCheckpoint.Open(dir.Path, "model.safetensors");
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, checkpoint.Names.ToArray());
        CollectionAssert.AreEqual(new[] { dir.File("model.safetensors.index.json"), dir.File("model-00001-of-00002.safetensors"), dir.File("model-00002-of-00002.safetensors") },
            checkpoint.Files.ToArray());
        CollectionAssert.AreEqual(new float[] { 3, 4, 6 }, checkpoint.Read("b").ToFloat32());
        CollectionAssert.AreEqual(new float[] { 5 }, checkpoint.Read("c").ToFloat32());
        CollectionAssert.AreEqual(new long[] { 3 }, checkpoint.Entry("b").Shape);
        Assert.IsFalse(checkpoint.Contains("d"));
        var e = Assert.ThrowsExactly<DiagnosticException>(() => checkpoint.Read("d"));
        Assert.AreEqual("VDS4124", e.Diagnostic.Code);
    }

    [TestMethod]
    public void NoWeightsIsVds4120()
    {
        using var dir = new TempFolder();
        var e = OpenFails(dir);
        Assert.AreEqual("VDS4120", e.Diagnostic.Code);
        Assert.AreEqual(dir.Path, e.Diagnostic.File);
    }

    [TestMethod]
    [DataRow("../model-00001-of-00002.safetensors")]
    [DataRow("sub/model-00001-of-00002.safetensors")]
    [DataRow("sub\\model-00001-of-00002.safetensors")]
    [DataRow("")]
    public void ShardOutsideTheFolderIsVds4121(string shard)
    {
        // Only the folder's own files count towards the model's identity, so shards elsewhere are refused.
        using var dir = new TempFolder();
        WriteShards(dir);
        WriteIndex(dir, new Dictionary<string, string> { ["a"] = shard });
        var e = OpenFails(dir);
        Assert.AreEqual("VDS4121", e.Diagnostic.Code);
        Assert.AreEqual(dir.File("model.safetensors.index.json"), e.Diagnostic.File);
    }

    [TestMethod]
    public void IndexWithoutWeightMapIsVds4121()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"metadata\": {}}");
        Assert.AreEqual("VDS4121", OpenFails(dir).Diagnostic.Code);
        File.WriteAllText(dir.File("model.safetensors.index.json"), "{\"weight_map\": ");
        Assert.AreEqual("VDS4121", OpenFails(dir).Diagnostic.Code);
    }

    [TestMethod]
    public void MissingShardIsVds4122AndATensorNotInItsShardIsVds4123()
    {
        using var dir = new TempFolder();
        WriteShards(dir);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var e = OpenFails(dir);
        Assert.AreEqual("VDS4122", e.Diagnostic.Code);
        StringAssert.Contains(e.Message, "model-00002-of-00002.safetensors");

        WriteShards(dir);
        WriteIndex(dir, new Dictionary<string, string> { ["a"] = "model-00001-of-00002.safetensors", ["b"] = "model-00001-of-00002.safetensors" });
        e = OpenFails(dir);
        Assert.AreEqual("VDS4123", e.Diagnostic.Code);
        Assert.AreEqual(dir.File("model-00001-of-00002.safetensors"), e.Diagnostic.File);
        StringAssert.Contains(e.Message, "'b'");
    }
}
