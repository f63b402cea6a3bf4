using System.Buffers.Binary;
using System.Text;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Tensors;

[TestClass]
[TestCategory("Unit")]
public class SafetensorsFileTests
{
    /// <summary>A safetensors file from raw parts, to build broken ones.</summary>
    static string Raw(TempFolder dir, byte[] header, int dataBytes, long? headerLength = null, string name = "w.safetensors")
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, headerLength ?? header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++) bytes[8 + header.Length + i] = (byte)i;
        File.WriteAllBytes(dir.File(name), bytes);
        return dir.File(name);
    }

    static string Raw(TempFolder dir, string header, int dataBytes) => Raw(dir, Encoding.UTF8.GetBytes(header), dataBytes);

    static Diagnostic Fails(string code, Action action)
    {
        var e = Assert.ThrowsExactly<DiagnosticException>(action);
        Assert.AreEqual(code, e.Diagnostic.Code, e.Message);
        Assert.AreEqual(Severity.Error, e.Diagnostic.Severity);
        return e.Diagnostic;
    }

    [TestMethod]
    public void RoundTripsTensorsInOrderWithMetadata()
    {
        using var dir = new TempFolder();
        var tensors = new (string, TensorData)[]
        {
            ("b.weight", TorchTensorFileTests.Ramp(TensorDType.BFloat16, 3, 5)),
            ("a.bias", TorchTensorFileTests.Ramp(TensorDType.Float32, 7)),
            ("c", TorchTensorFileTests.Ramp(TensorDType.Float16, 2, 0)),
            ("d", TorchTensorFileTests.Ramp(TensorDType.Float16, 1, 2, 3, 1)),
        };
        string path = dir.File("sub/m.safetensors");
        SafetensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var file = SafetensorsFile.Open(path);
        Assert.AreEqual("pt", file.Metadata["format"]);
        CollectionAssert.AreEqual(new[] { "b.weight", "a.bias", "c", "d" }, file.Entries.Keys.ToArray());
        foreach (var (name, t) in tensors)
        {
            var read = file.Read(name);
            Assert.AreEqual(t.DType, read.DType);
            CollectionAssert.AreEqual(t.Shape, read.Shape);
            CollectionAssert.AreEqual(t.Bytes, read.Bytes);
        }
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path));
        Assert.AreEqual(0, headerLength % 8, "data 8-byte aligned");
        Assert.HasCount(1, Directory.GetFiles(dir.File("sub")), "no temporary file left");
    }

    [TestMethod]
    public void WriteRejectsDuplicateNames()
    {
        using var dir = new TempFolder();
        var t = TorchTensorFileTests.Ramp(TensorDType.Float32, 2);
        Assert.ThrowsExactly<ArgumentException>(() => SafetensorsFile.Write(dir.File("x.safetensors"), [("a", t), ("a", t)]));
        Assert.IsFalse(File.Exists(dir.File("x.safetensors")));
    }

    [TestMethod]
    public void MissingFile_VDS4101()
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4101", () => SafetensorsFile.Open(dir.File("nope.safetensors")));
        Assert.AreEqual(dir.File("nope.safetensors"), d.File);
        StringAssert.Contains(d.ToString(), ": error VDS4101: ");
    }

    [TestMethod]
    public void ShorterThanEightBytes_VDS4102()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("s.safetensors"), [1, 2, 3, 4, 5]);
        Fails("VDS4102", () => SafetensorsFile.Open(dir.File("s.safetensors")));
    }

    [TestMethod]
    public void HeaderLengthBeyondTheFile_VDS4103()
    {
        using var dir = new TempFolder();
        Fails("VDS4103", () => SafetensorsFile.Open(Raw(dir, "{}"u8.ToArray(), 0, headerLength: 1000)));
        Fails("VDS4103", () => SafetensorsFile.Open(Raw(dir, "{}"u8.ToArray(), 0, headerLength: 0)));
        Fails("VDS4103", () => SafetensorsFile.Open(Raw(dir, "{}"u8.ToArray(), 0, headerLength: -5)));
    }

    [TestMethod]
    public void HeaderNotUtf8_VDS4104()
    {
        using var dir = new TempFolder();
        Fails("VDS4104", () => SafetensorsFile.Open(Raw(dir, [(byte)'{', 0xFF, 0xFE, (byte)'}'], 0)));
    }

    [TestMethod]
    public void HeaderNotAJsonObject_VDS4105()
    {
        using var dir = new TempFolder();
        Fails("VDS4105", () => SafetensorsFile.Open(Raw(dir, "{\"a\": ", 0)));
        Fails("VDS4105", () => SafetensorsFile.Open(Raw(dir, "[1, 2]", 0)));
        var d = Fails("VDS4105", () => SafetensorsFile.Open(Raw(dir,
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8)));
        StringAssert.Contains(d.Message, "'a' twice");
    }

    [TestMethod]
    [DataRow("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "dtype")]
    [DataRow("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "shape")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1]}}""", "data_offsets")]
    [DataRow("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "shape")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "data_offsets")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":"0-4"}}""", "data_offsets")]
    [DataRow("""{"w":[1,2]}""", "not a JSON object")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "shape")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1,"2"],"data_offsets":[0,8]}}""", "shape")]
    [DataRow("""{"w":{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}}""", "shape")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", "data_offsets")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", "data_offsets")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,1e30]}}""", "data_offsets")]
    [DataRow("""{"w":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}""", "shape")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,true]}}""", "data_offsets")]
    [DataRow("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[null,4]}}""", "data_offsets")]
    public void EntryMissingOrMalformedFields_VDS4106(string header, string mentioned)
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4106", () => SafetensorsFile.Open(Raw(dir, header, 4)));
        StringAssert.Contains(d.Message, "'w'");
        StringAssert.Contains(d.Message, mentioned);
    }

    [TestMethod]
    public void MalformedShapesAndOffsetsKeepTheirMessages_VDS4106()
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4106", () => SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,4]}}""", 4)));
        Assert.AreEqual("tensor 'w': no \"shape\" array of non-negative integers", d.Message);
        d = Fails("VDS4106", () => SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4)));
        Assert.AreEqual("tensor 'w': no \"data_offsets\" pair of non-negative integers", d.Message);
        // The element count overflows before the element size is applied: 2^62 x 4 elements.
        d = Fails("VDS4106", () => SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"BF16","shape":[4611686018427387904,4],"data_offsets":[0,4]}}""", 4)));
        Assert.AreEqual("tensor 'w': shape [4611686018427387904, 4] is too large", d.Message);
        // 2^61 elements fit, their bytes as F32 do not.
        d = Fails("VDS4106", () => SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"F32","shape":[2305843009213693952,1],"data_offsets":[0,4]}}""", 4)));
        StringAssert.Contains(d.Message, "is too large");
    }

    [TestMethod]
    public void AHugeDimensionTimesZeroIsAnEmptyTensor()
    {
        // The element count (2^62 x 0) is taken before the element size: 0 elements, 0 bytes, never an overflow.
        using var dir = new TempFolder();
        var file = SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"F32","shape":[4611686018427387904,0],"data_offsets":[0,0]},"v":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4));
        CollectionAssert.AreEqual(new long[] { 4611686018427387904, 0 }, file.Entries["w"].Shape);
        Assert.AreEqual(0, file.Entries["w"].ByteLength);
        CollectionAssert.AreEqual(new long[] { 1 }, file.Entries["v"].Shape);
        Assert.AreEqual(4, file.Entries["v"].ByteLength);
    }

    [TestMethod]
    public void UnsupportedDType_VDS4107()
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4107", () => SafetensorsFile.Open(Raw(dir, """{"shared.ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}""", 16)));
        StringAssert.Contains(d.Message, "I64");
        StringAssert.Contains(d.Message, "shared.ids");
    }

    [TestMethod]
    public void OffsetsOutsideTheDataArea_VDS4108()
    {
        using var dir = new TempFolder();
        // The end before the start.
        Fails("VDS4108", () => SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", 8)));
        // Far past the end, leaving a hole: a wrong offset, not a cut-short file.
        var d = Fails("VDS4108", () => SafetensorsFile.Open(Raw(dir,
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[1000,1004]}}""", 8)));
        StringAssert.Contains(d.Message, "'w'");
    }

    [TestMethod]
    public void OffsetsNotMatchingTheShape_VDS4109()
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4109", () => SafetensorsFile.Open(Raw(dir, """{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}""", 8)));
        StringAssert.Contains(d.Message, "needs 12 bytes");
    }

    [TestMethod]
    public void OverlappingEntries_VDS4110()
    {
        using var dir = new TempFolder();
        var d = Fails("VDS4110", () => SafetensorsFile.Open(Raw(dir,
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12)));
        StringAssert.Contains(d.Message, "'a'");
        StringAssert.Contains(d.Message, "'b'");
    }

    [TestMethod]
    public void TruncatedData_VDS4111()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        SafetensorsFile.Write(path, [("a", TorchTensorFileTests.Ramp(TensorDType.Float32, 10)), ("b", TorchTensorFileTests.Ramp(TensorDType.BFloat16, 10))]);
        byte[] full = File.ReadAllBytes(path);
        foreach (int cut in new[] { 1, 19, 20, 21 })
        {
            File.WriteAllBytes(path, full[..^cut]);
            var d = Fails("VDS4111", () => SafetensorsFile.Open(path));
            StringAssert.Contains(d.Message, cut <= 20 ? "'b'" : "'a'");
        }
        // Cut short after Open: Read notices.
        File.WriteAllBytes(path, full);
        var file = SafetensorsFile.Open(path);
        File.WriteAllBytes(path, full[..^4]);
        Fails("VDS4111", () => file.Read("b"));
    }

    [TestMethod]
    public void MetadataNotStrings_VDS4112()
    {
        using var dir = new TempFolder();
        Fails("VDS4112", () => SafetensorsFile.Open(Raw(dir, """{"__metadata__":{"format":1}}""", 0)));
        Fails("VDS4112", () => SafetensorsFile.Open(Raw(dir, """{"__metadata__":"pt"}""", 0)));
    }

    [TestMethod]
    public void ReadOfAnUnknownName_VDS4113()
    {
        using var dir = new TempFolder();
        SafetensorsFile.Write(dir.File("m.safetensors"), [("a", TorchTensorFileTests.Ramp(TensorDType.Float32, 2))]);
        var d = Fails("VDS4113", () => SafetensorsFile.Open(dir.File("m.safetensors")).Read("b"));
        StringAssert.Contains(d.Message, "'b'");
    }

    [TestMethod]
    public void EveryCodeUsedIsDocumentedAndEveryDocumentedCodeIsUsedOnce()
    {
        var used = new List<string>();
        foreach (var file in new[] { "SafetensorsFile.cs", "SafetensorsCheckpoint.cs" })
        {
            string source = File.ReadAllText(Path.Combine(SourceFolder(), file));
            // The code names its codes by DiagnosticCodes constant; the doc table by value.
            var inCode = System.Text.RegularExpressions.Regex.Matches(source, @"DiagnosticCodes\.(\w+)")
                .Select(m => (string)typeof(DiagnosticCodes).GetField(m.Groups[1].Value)!.GetRawConstantValue()!)
                .Distinct().ToList();
            var documented = System.Text.RegularExpressions.Regex.Matches(source, "<term>(VDS41\\d\\d)</term>").Select(m => m.Groups[1].Value).ToList();
            CollectionAssert.AreEquivalent(documented, inCode, file);
            used.AddRange(documented);
        }
        Assert.HasCount(used.Count, used.Distinct(), "a code is documented twice");
        Assert.IsGreaterThanOrEqualTo(18, used.Count);
    }

    static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "..", "src", "VideoDataset.Core", "Tensors"));
}
