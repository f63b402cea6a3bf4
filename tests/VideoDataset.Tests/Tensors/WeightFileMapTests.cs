using TorchSharp;
using VideoDataset.Core.Models;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Tensors;

/// <summary>
/// Weights as views of their files' mapped pages: the same bits as reading them, a private mapping (writes never
/// reach the file), views that outlive the map, the read path for what cannot be mapped, and loaders that give
/// the same parameters either way.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public class WeightFileMapTests
{
    string _dir = "";

    [TestInitialize]
    public void Create()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("weight files are mapped on Linux only");
        _dir = Path.Combine(Path.GetTempPath(), "vds-weightmap-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Remove()
    {
        if (_dir.Length > 0) Directory.Delete(_dir, recursive: true);
    }

    static TensorData Random(TensorDType dtype, long[] shape, int seed)
    {
        var bytes = new byte[TensorData.ElementCount(shape) * TensorData.ElementSize(dtype)];
        new Random(seed).NextBytes(bytes);
        // Finite values only (a NaN pattern would still compare bytewise, but keep the data plausible).
        if (dtype != TensorDType.Float32)
            for (int i = 1; i < bytes.Length; i += 2) bytes[i] &= 0x3f;
        else
            for (int i = 3; i < bytes.Length; i += 4) bytes[i] &= 0x3f;
        return new TensorData(dtype, shape, bytes);
    }

    int _files;

    string Write(params (string Name, TensorData Tensor)[] tensors)
    {
        string path = Path.Combine(_dir, $"w{++_files}.safetensors");
        SafetensorsFile.Write(path, tensors);
        return path;
    }

    static WeightFileMap Map(SafetensorsFile file) => new(name => (file.Path, file.FileOffset(name)));

    // A file whose F32 tensor "c" starts on 64 bytes (a BF16 filler in front of it, sized to get there).
    SafetensorsFile WriteWithAlignedF32(params (string Name, TensorData Tensor)[] after)
    {
        for (int filler = 1; ; filler++)
        {
            var file = SafetensorsFile.Open(Write(
                [("filler", Random(TensorDType.BFloat16, [filler], 9)), ("c", Random(TensorDType.Float32, [2, 3], 3)), .. after]));
            if (file.FileOffset("c") % 64 == 0) return file;
        }
    }

    [TestMethod]
    public void MappedWeightsHoldTheFilesBytes()
    {
        // Half-precision weights wherever they start on an element (the first at an odd multiple of 2), F32 on 64 bytes.
        var file = WriteWithAlignedF32(
            ("a", Random(TensorDType.BFloat16, [3, 5], 1)),
            ("b", Random(TensorDType.Float16, [4], 2)),
            ("d", Random(TensorDType.BFloat16, [1000, 300], 4)));
        Assert.AreNotEqual(0, file.FileOffset("b") % 4);
        using var map = Map(file);
        foreach (var entry in file.Entries.Values)
        {
            using var mapped = map.TryMap(entry);
            Assert.IsNotNull(mapped, $"{entry.Name} was not mapped");
            Assert.AreEqual(TorchConvert.ToScalarType(entry.DType), mapped.dtype);
            CollectionAssert.AreEqual(entry.Shape, mapped.shape);
            CollectionAssert.AreEqual(file.Read(entry.Name).Bytes, mapped.bytes.ToArray(), entry.Name);
            using var read = ModelWeights.Read(entry, file.ReadInto, mapped.dtype, CPU, map);
            CollectionAssert.AreEqual(file.Read(entry.Name).Bytes, read.bytes.ToArray(), entry.Name);
        }
    }

    [TestMethod]
    public void WeightsThatCannotBeMappedAreReadInstead()
    {
        // A 2-byte tensor first puts the F32 one at an offset that is not a multiple of 4; the empty one has no bytes.
        var file = SafetensorsFile.Open(Write(
            ("odd", Random(TensorDType.BFloat16, [1], 5)),
            ("f32", Random(TensorDType.Float32, [3, 7], 6)),
            ("empty", new TensorData(TensorDType.BFloat16, [0, 4], []))));
        using var map = Map(file);
        Assert.IsNull(map.TryMap(file.Entries["f32"]), "a misaligned F32 weight cannot be a view");
        var aligned = WriteWithAlignedF32(("late", Random(TensorDType.Float32, [5], 10)));
        using var alignedMap = Map(aligned);
        Assert.AreEqual(24, aligned.FileOffset("late") - aligned.FileOffset("c"));
        Assert.IsNull(alignedMap.TryMap(aligned.Entries["late"]), "an F32 weight 4 but not 64-byte aligned is read, as libtorch would align it");
        using (var c = alignedMap.TryMap(aligned.Entries["c"])) Assert.IsNotNull(c, "an F32 weight on 64 bytes is mapped");
        Assert.IsNull(map.TryMap(file.Entries["empty"]));
        foreach (var entry in file.Entries.Values)
        {
            using var read = ModelWeights.Read(entry, file.ReadInto, TorchConvert.ToScalarType(entry.DType), CPU, map);
            CollectionAssert.AreEqual(entry.Shape, read.shape);
            CollectionAssert.AreEqual(file.Read(entry.Name).Bytes, read.bytes.ToArray(), entry.Name);
        }
        // Converted weights are new tensors with the converted values.
        using var converted = ModelWeights.Read(file.Entries["odd"], file.ReadInto, ScalarType.Float32, CPU, map);
        using var expected = TorchConvert.ToTorch(file.Read("odd")).to(ScalarType.Float32);
        CollectionAssert.AreEqual(expected.bytes.ToArray(), converted.bytes.ToArray());
    }

    [TestMethod]
    public void WritingAMappedWeightNeverReachesTheFile()
    {
        string path = Write(("w", Random(TensorDType.BFloat16, [64, 64], 7)));
        byte[] before = File.ReadAllBytes(path);
        var file = SafetensorsFile.Open(path);
        using var map = Map(file);
        using var mapped = map.TryMap(file.Entries["w"])!;
        mapped.mul_(2f).add_(1f);
        CollectionAssert.AreNotEqual(file.Read("w").Bytes, mapped.bytes.ToArray(), "the view was written");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path), "the file changed");
    }

    [TestMethod]
    public void MappedWeightsOutliveTheMap()
    {
        var file = SafetensorsFile.Open(Write(("w", Random(TensorDType.BFloat16, [300, 40], 8))));
        Tensor mapped;
        using (var map = Map(file)) mapped = map.TryMap(file.Entries["w"])!;
        using (mapped)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            CollectionAssert.AreEqual(file.Read("w").Bytes, mapped.bytes.ToArray());
        }
    }

    [TestMethod]
    public void LoadersGiveTheSameParametersMappedOrRead()
    {
        string t5 = Path.Combine(_dir, "t5"), vae = Path.Combine(_dir, "vae");
        // In BF16, as the real checkpoints are (the tiny models' F32 weights are mapped only where 64-byte aligned).
        TinyT5.Write(t5);
        TinyVae.Write(vae);
        ToBFloat16(Path.Combine(t5, "model.safetensors"));
        ToBFloat16(Path.Combine(vae, VaeLoader.WeightsFileName));
        bool before = WeightFileMap.Enabled;
        try
        {
            WeightFileMap.Enabled = false;
            var t5Read = Parameters(T5EncoderModel.Load(t5, CPU, ScalarType.Float32), t5, expectMapped: false);
            var vaeRead = Parameters(VaeLoader.LoadEncoder(vae, CPU, ScalarType.Float32), vae, expectMapped: false);
            WeightFileMap.Enabled = true;
            var t5Mapped = Parameters(T5EncoderModel.Load(t5, CPU, ScalarType.Float32), t5, expectMapped: true);
            var vaeMapped = Parameters(VaeLoader.LoadEncoder(vae, CPU, ScalarType.Float32), vae, expectMapped: true);
            Assert.IsTrue(t5Read.Count > 5 && vaeRead.Count > 5);
            CollectionAssert.AreEqual(t5Read.Keys.ToList(), t5Mapped.Keys.ToList());
            CollectionAssert.AreEqual(vaeRead.Keys.ToList(), vaeMapped.Keys.ToList());
            foreach (var (name, bytes) in t5Read) CollectionAssert.AreEqual(bytes, t5Mapped[name], name);
            foreach (var (name, bytes) in vaeRead) CollectionAssert.AreEqual(bytes, vaeMapped[name], name);
        }
        finally { WeightFileMap.Enabled = before; }
    }

    static void ToBFloat16(string path)
    {
        var file = SafetensorsFile.Open(path);
        SafetensorsFile.Write(path, Support.RealSizeModels.Converted(file.Entries.Keys.Select(k => (k, file.Read(k))).ToList(), TensorDType.BFloat16));
    }

    // Every parameter's bytes; whether the model's folder is mapped while it is loaded, and no longer once it is disposed.
    static Dictionary<string, byte[]> Parameters(nn.Module model, string folder, bool expectMapped)
    {
        var result = new Dictionary<string, byte[]>();
        using (model)
        {
            foreach (var (name, p) in model.named_parameters()) result[name] = p.bytes.ToArray();
            Assert.AreEqual(expectMapped, MapsFileIn(folder), $"{folder} mapped while loaded");
        }
        Assert.IsFalse(MapsFileIn(folder), $"{folder} still mapped after the model was disposed");
        return result;
    }

    static bool MapsFileIn(string folder) =>
        File.ReadLines("/proc/self/maps").Any(l => l.Contains(Path.GetFullPath(folder) + "/", StringComparison.Ordinal));
}
