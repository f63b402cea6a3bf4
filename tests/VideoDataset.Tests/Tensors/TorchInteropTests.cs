using System.Text.Json;
using System.Text.Json.Nodes;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Tensors;

/// <summary>Our files against real PyTorch (the system's python3-torch), in both directions.</summary>
[TestClass]
[TestCategory("Unit")]
public class TorchInteropTests
{
    static string TorchName(TensorDType d) => d switch
    {
        TensorDType.Float32 => "torch.float32", TensorDType.Float16 => "torch.float16", _ => "torch.bfloat16",
    };

    [TestMethod]
    public void TorchLoadReturnsAPlainTensorWithExactValuesInBothWeightsOnlyModes()
    {
        using var dir = new TempFolder();
        var meta = new Dictionary<string, string> { ["source"] = "ep01/seq_0003.mp4", ["recipe"] = "vae@1" };
        var cases = new (string Name, TensorData Tensor)[]
        {
            ("bf16_4d", TorchTensorFileTests.Ramp(TensorDType.BFloat16, 3, 4, 5, 6)),
            ("f32_2d", TorchTensorFileTests.Ramp(TensorDType.Float32, 7, 300)), // dims above 255 take a 2-byte pickle int
            ("f16_1d", TorchTensorFileTests.Ramp(TensorDType.Float16, 70000)),   // and above 65535 a 4-byte one
            ("bf16_zero_dim", TorchTensorFileTests.Ramp(TensorDType.BFloat16, 2, 0, 3)),
            ("f32_scalar", TensorData.FromFloat32([-2.5f], [], TensorDType.Float32)),
            ("bf16_special", TensorData.FromFloat32([float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-40f, 3.3895314e38f], [5], TensorDType.BFloat16)),
        };
        var expected = new JsonArray();
        foreach (var (name, tensor) in cases)
        {
            string path = dir.File(name + ".pt");
            TorchTensorFile.Write(path, tensor, name == "f32_2d" ? null : meta);
            expected.Add(new JsonObject
            {
                ["path"] = path,
                ["dtype"] = TorchName(tensor.DType),
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode)d).ToArray()),
                ["bits"] = Convert.ToHexStringLower(tensor.Bytes),
                ["values"] = new JsonArray(tensor.ToFloat32().Select(v => (JsonNode)(double)v).ToArray()),
            });
        }
        string expectedPath = dir.File("expected.json");
        File.WriteAllText(expectedPath, expected.ToJsonString(new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        string output = TensorsPython.Run("tensors_load_check.py", expectedPath);
        StringAssert.StartsWith(output, $"OK {cases.Length}");
    }

    [TestMethod]
    public void ReadsSafetensorsThatPythonWroteByHand()
    {
        using var dir = new TempFolder();
        string file = dir.File("model.safetensors"), expectedPath = dir.File("expected.json");
        TensorsPython.Run("tensors_write_safetensors.py", file, expectedPath);
        var expected = JsonNode.Parse(File.ReadAllText(expectedPath))!.AsObject();
        var st = SafetensorsFile.Open(file);
        Assert.AreEqual("python", st.Metadata["writer"]);
        CollectionAssert.AreEqual(expected.Select(kv => kv.Key).ToArray(), st.Entries.Keys.ToArray());
        foreach (var (name, node) in expected)
        {
            var t = st.Read(name);
            var dtype = node!["dtype"]!.GetValue<string>() switch { "F32" => TensorDType.Float32, "F16" => TensorDType.Float16, _ => TensorDType.BFloat16 };
            Assert.AreEqual(dtype, t.DType, name);
            CollectionAssert.AreEqual(node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(), t.Shape, name);
            Assert.AreEqual(node["bits"]!.GetValue<string>(), Convert.ToHexStringLower(t.Bytes), name);
            // Our float32 -> F16/BF16 rounding must give torch's bits for the same source values.
            float[] source = node["source"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
            CollectionAssert.AreEqual(t.Bytes, TensorData.FromFloat32(source, t.Shape, dtype).Bytes, name);
        }
    }

    [TestMethod]
    public void ReadsTensorFilesThatTorchSaveWrote()
    {
        using var dir = new TempFolder();
        TensorsPython.Run("tensors_torch_save.py", dir.Path);
        var expected = JsonNode.Parse(File.ReadAllText(dir.File("expected.json")))!.AsObject();
        Assert.AreEqual(3, expected.Count);
        foreach (var (name, node) in expected)
        {
            var (t, meta) = TorchTensorFile.Read(dir.File(name + ".pt"));
            Assert.AreEqual(node!["dtype"]!.GetValue<string>(), TorchName(t.DType), name);
            CollectionAssert.AreEqual(node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(), t.Shape, name);
            Assert.AreEqual(node["bits"]!.GetValue<string>(), Convert.ToHexStringLower(t.Bytes), name);
            Assert.AreEqual(0, meta.Count);
            Assert.IsNull(TorchTensorFile.ReadMetadata(dir.File(name + ".pt")));
        }
    }
}
