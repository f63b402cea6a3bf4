using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Tensors;

/// <summary>Shard names in an index must name files of the model folder itself (the folder's files define the model's identity).</summary>
[TestClass]
[TestCategory("Unit")]
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
}
