using System.IO.Compression;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Tensors;

[TestClass]
[TestCategory("Unit")]
public class TorchTensorFileTests
{
    internal static TensorData Ramp(TensorDType dtype, params long[] shape)
    {
        var values = new float[TensorData.ElementCount(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (i - values.Length / 3) * 0.37f + 1e-3f * i * i;
        return TensorData.FromFloat32(values, shape, dtype);
    }

    static void AssertSame(TensorData expected, TensorData actual)
    {
        Assert.AreEqual(expected.DType, actual.DType);
        CollectionAssert.AreEqual(expected.Shape, actual.Shape);
        CollectionAssert.AreEqual(expected.Bytes, actual.Bytes);
    }

    [TestMethod]
    [DataRow(TensorDType.Float32)]
    [DataRow(TensorDType.BFloat16)]
    [DataRow(TensorDType.Float16)]
    public void RoundTripsDTypeShapeBytesAndMetadata(TensorDType dtype)
    {
        using var dir = new TempFolder();
        string path = dir.File("sub/t.pt");
        var tensor = Ramp(dtype, 3, 4, 5);
        var meta = new Dictionary<string, string> { ["recipe"] = "abc", ["ünïcode"] = "\"quoted\"\n" };
        TorchTensorFile.Write(path, tensor, meta);
        var (read, readMeta) = TorchTensorFile.Read(path);
        AssertSame(tensor, read);
        CollectionAssert.AreEquivalent(meta.ToList(), readMeta.ToList());
        CollectionAssert.AreEquivalent(meta.ToList(), TorchTensorFile.ReadMetadata(path)!.ToList());
        CollectionAssert.AreEqual(File.ReadAllBytes(path), TorchTensorFile.Serialize(tensor, meta));
    }

    [TestMethod]
    public void ScalarAndZeroSizeTensorsRoundTrip()
    {
        using var dir = new TempFolder();
        foreach (var tensor in new[] { Ramp(TensorDType.Float32), Ramp(TensorDType.BFloat16, 3, 0, 2) })
        {
            TorchTensorFile.Write(dir.File("t.pt"), tensor);
            AssertSame(tensor, TorchTensorFile.Read(dir.File("t.pt")).Tensor);
        }
    }

    [TestMethod]
    public void WithoutMetadataReadMetadataIsNullAndReadGivesEmpty()
    {
        using var dir = new TempFolder();
        TorchTensorFile.Write(dir.File("t.pt"), Ramp(TensorDType.BFloat16, 2, 2));
        Assert.IsNull(TorchTensorFile.ReadMetadata(dir.File("t.pt")));
        Assert.AreEqual(0, TorchTensorFile.Read(dir.File("t.pt")).Metadata.Count);
    }

    [TestMethod]
    public void SerializationIsDeterministicAndMetadataOrderDoesNotMatter()
    {
        var t = Ramp(TensorDType.BFloat16, 7, 3);
        var a = TorchTensorFile.Serialize(t, new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var b = TorchTensorFile.Serialize(t, new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        CollectionAssert.AreEqual(a, b);
    }

    [TestMethod]
    public void IsAValidStoredZipWithAlignedRecordsUnderOneFolder()
    {
        var tensor = Ramp(TensorDType.Float32, 5, 3);
        byte[] bytes = TorchTensorFile.Serialize(tensor, new Dictionary<string, string> { ["k"] = "v" });
        // .NET's own zip reader checks the CRCs as it reads.
        using (var archive = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
        {
            CollectionAssert.AreEquivalent(
                new[] { "archive/data.pkl", "archive/byteorder", "archive/.videodataset.json", "archive/data/0", "archive/version" },
                archive.Entries.Select(e => e.FullName).ToArray());
            foreach (var entry in archive.Entries) { Assert.AreEqual(entry.Length, entry.CompressedLength); using var s = entry.Open(); s.CopyTo(Stream.Null); }
            using var data = new MemoryStream();
            archive.GetEntry("archive/data/0")!.Open().CopyTo(data);
            CollectionAssert.AreEqual(tensor.Bytes, data.ToArray());
        }
        var zip = new StoredZipReader(new MemoryStream(bytes), "mem");
        foreach (var record in zip.Records.Values) Assert.AreEqual(0, record.DataOffset % 64, record.Name);
    }

    [TestMethod]
    public void TruncatedFilesAreRejectedAtEveryOffsetTried()
    {
        using var dir = new TempFolder();
        byte[] bytes = TorchTensorFile.Serialize(Ramp(TensorDType.BFloat16, 4, 8, 8), new Dictionary<string, string> { ["k"] = "v" });
        int[] cuts = [0, 1, 3, 29, 64, 100, 200, 300, bytes.Length / 2, bytes.Length - 200, bytes.Length - 23, bytes.Length - 22, bytes.Length - 10, bytes.Length - 1];
        foreach (int cut in cuts)
        {
            string path = dir.File($"cut{cut}.pt");
            File.WriteAllBytes(path, bytes[..cut]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(path), $"cut at {cut}");
            StringAssert.Contains(e.Message, path);
            Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.ReadMetadata(path), $"metadata, cut at {cut}");
        }
    }

    [TestMethod]
    public void CorruptDataFailsItsCrc()
    {
        using var dir = new TempFolder();
        var tensor = Ramp(TensorDType.Float32, 16, 16);
        byte[] bytes = TorchTensorFile.Serialize(tensor);
        int dataAt = bytes.AsSpan().IndexOf(tensor.Bytes.AsSpan(0, 64));
        Assert.IsGreaterThan(0, dataAt);
        bytes[dataAt + 100] ^= 0x01;
        File.WriteAllBytes(dir.File("bad.pt"), bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(dir.File("bad.pt")));
        StringAssert.Contains(e.Message, "CRC");
        StringAssert.Contains(e.Message, "archive/data/0");
        // The cheap metadata read does not look at the data.
        Assert.IsNull(TorchTensorFile.ReadMetadata(dir.File("bad.pt")));
    }

    [TestMethod]
    public void CorruptMetadataFailsEvenTheCheapRead()
    {
        using var dir = new TempFolder();
        byte[] bytes = TorchTensorFile.Serialize(Ramp(TensorDType.Float32, 2), new Dictionary<string, string> { ["recipe"] = "abcdef" });
        int at = bytes.AsSpan().IndexOf("abcdef"u8);
        bytes[at] = (byte)'X';
        File.WriteAllBytes(dir.File("bad.pt"), bytes);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.ReadMetadata(dir.File("bad.pt"))).Message, "CRC");
    }

    [TestMethod]
    public void OtherFilesAreRejectedWithAClearMessage()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("text.pt"), "this is not a tensor file at all, just some text");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(dir.File("text.pt"))).Message, "not a zip file");
        File.WriteAllBytes(dir.File("empty.pt"), []);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(dir.File("empty.pt"))).Message, "empty");

        // A compressed zip that is otherwise shaped like a tensor file.
        using (var archive = ZipFile.Open(dir.File("deflated.pt"), ZipArchiveMode.Create))
            foreach (var name in new[] { "archive/data.pkl", "archive/version" })
                using (var s = archive.CreateEntry(name, CompressionLevel.Optimal).Open()) s.Write(new byte[1000]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(dir.File("deflated.pt"))).Message, "compressed");

        // A stored zip without the pickle.
        using (var archive = ZipFile.Open(dir.File("nopickle.pt"), ZipArchiveMode.Create))
            using (var s = archive.CreateEntry("archive/version", CompressionLevel.NoCompression).Open()) s.Write("3\n"u8);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.ReadMetadata(dir.File("nopickle.pt")));
        StringAssert.Contains(e.Message, "archive/data.pkl");
    }

    [TestMethod]
    public void StorageSizeMustMatchThePickle()
    {
        // Rebuild a file whose storage record is one element short, with correct CRCs.
        var pickle = TorchPickle.Write(TensorDType.Float32, [2, 3], "0");
        var stream = new MemoryStream();
        var zip = new StoredZipWriter(stream);
        zip.Add("archive/data.pkl", pickle);
        zip.Add("archive/data/0", new byte[20]);
        zip.Add("archive/version", "3\n"u8);
        zip.Finish();
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("short.pt"), stream.ToArray());
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(dir.File("short.pt"))).Message, "holds 20 bytes");
    }
}
