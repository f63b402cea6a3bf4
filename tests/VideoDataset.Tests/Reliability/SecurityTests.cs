using System.Text.RegularExpressions;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Tensors;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// Issue 6 item 5: nothing executable is ever deserialized, and hostile bytes in the files the
/// build reads back (its own tensor outputs, weight files) give an error, never a crash or code.
/// Paths leaving the declared folders are in <see cref="BadInputCorpus"/> (VDS1010, VDS4121).
/// </summary>
[TestClass]
[TestCategory("Reliability")]
public class SecurityTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void NoProductCodeUsesAnExecutableDeserializer()
    {
        // .NET serializers that instantiate types named by the data, and TorchSharp/libtorch loaders
        // that read pickle or TorchScript (code). Weights come from safetensors only.
        var forbidden = new Regex(@"BinaryFormatter|SoapFormatter|NetDataContractSerializer|LosFormatter|ObjectStateFormatter|TypeNameHandling" +
            @"|\bjit\s*\.\s*load\b|\btorch\s*\.\s*load\s*\(|\.load_state_dict\s*\(\s*""|\bModule\s*\.\s*Load\b|Assembly\s*\.\s*Load(From|File)?\s*\(");
        var hits = new List<string>();
        foreach (string f in Directory.EnumerateFiles(Path.Combine(Repo.Root, "src"), "*.cs", SearchOption.AllDirectories)
                     .Concat(Directory.EnumerateFiles(Path.Combine(Repo.Root, "eng"), "*.cs", SearchOption.AllDirectories)))
        {
            if (f.Contains("/obj/") || f.Contains("/bin/")) continue;
            int n = 0;
            foreach (string line in File.ReadLines(f))
            {
                n++;
                string code = line.TrimStart();
                if (code.StartsWith("//") || code.StartsWith("///") || code.StartsWith("*")) continue;
                if (forbidden.IsMatch(code)) hits.Add($"{Path.GetRelativePath(Repo.Root, f)}({n}): {code}");
            }
        }
        Assert.IsEmpty(hits, string.Join("\n", hits));
    }

    /// <summary>A tensor file laid out as torch.save does, whose data.pkl is <paramref name="pickleExpr"/> (Python) pickled with protocol 2.</summary>
    static string HostileTensorFile(string dir, string pickleSetup)
    {
        string path = Path.Combine(dir, "hostile.pt");
        var r = Repo.Run("/usr/bin/python3", ["-c", $$"""
import io, os, pickle, zipfile, sys
{{pickleSetup}}
buf = io.BytesIO()
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
    z.writestr('archive/data.pkl', data)
    z.writestr('archive/version', '3\n')
    z.writestr('archive/byteorder', 'little')
    z.writestr('archive/data/0', b'\0' * 8)
""", path]);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        return path;
    }

    [TestMethod]
    public void APickleThatWouldRunCodeIsRefusedAndNothingRuns()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vds-rel", "sec-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string marker = Path.Combine(dir, "pwned");
        try
        {
            foreach (string setup in new[]
            {
                // The classic: os.system through __reduce__.
                $"class P:\n    def __reduce__(self): return (os.system, ('touch {marker}',))\ndata = pickle.dumps(P(), protocol=2)",
                // builtins.eval, and an allowed-looking call with a foreign global as the storage type.
                $"class P:\n    def __reduce__(self): return (eval, (\"open('{marker}','w')\",))\ndata = pickle.dumps(P(), protocol=2)",
                "data = b'\\x80\\x02ctorch._utils\\n_rebuild_tensor_v2\\n((X\\x07\\x00\\x00\\x00storagecos\\nsystem\\nX\\x01\\x00\\x00\\x000X\\x03\\x00\\x00\\x00cpuK\\x02tQK\\x00K\\x02\\x85K\\x01\\x85\\x89}tR.'",
            })
            {
                string file = HostileTensorFile(dir, setup);
                var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTensorFile.Read(file));
                TestContext.WriteLine(e.Message);
                StringAssert.Contains(e.Message, "data.pkl");
                Assert.DoesNotContain("malformed (", e.Message, "each hostile pickle is well-formed: refused for what it calls");
            }
            Assert.IsFalse(File.Exists(marker), "no code ran");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Deterministic mutations of a valid file: truncations and byte flips.</summary>
    static IEnumerable<byte[]> Mutations(byte[] valid, int count, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            byte[] b = (byte[])valid.Clone();
            switch (i % 3)
            {
                case 0: yield return b[..random.Next(b.Length)]; break;
                case 1:
                    for (int k = 0; k < 1 + random.Next(4); k++) b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                    yield return b;
                    break;
                default:
                    // Flips near the ends, where the zip directory and the safetensors header live.
                    int at = random.Next(2) == 0 ? random.Next(Math.Min(256, b.Length)) : b.Length - 1 - random.Next(Math.Min(256, b.Length));
                    b[at] = (byte)random.Next(256);
                    yield return b;
                    break;
            }
        }
    }

    [TestMethod]
    public void DamagedTensorAndWeightFilesGiveErrorsNeverCrashes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vds-rel", "fuzz-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string pt = Path.Combine(dir, "valid.pt");
            TorchTensorFile.Write(pt, TensorData.FromFloat32(Enumerable.Range(0, 96).Select(i => i * 0.25f).ToArray(), [4, 4, 6], TensorDType.BFloat16),
                new Dictionary<string, string> { ["key"] = "abc", ["stage"] = "latents" });
            string st = Path.Combine(dir, "valid.safetensors");
            SafetensorsFile.Write(st, [("a.weight", TensorData.FromFloat32(new float[12], [3, 4], TensorDType.Float32)),
                ("b.bias", TensorData.FromFloat32(new float[3], [3], TensorDType.BFloat16))]);

            int cases = 0, errors = 0, accepted = 0;
            var crashes = new List<string>();
            string file = Path.Combine(dir, "mutant");
            foreach (var (valid, kind) in new[] { (File.ReadAllBytes(pt), "tensor"), (File.ReadAllBytes(st), "safetensors") })
                foreach (byte[] mutant in Mutations(valid, 300, kind.Length))
                {
                    File.WriteAllBytes(file, mutant);
                    cases++;
                    try
                    {
                        if (kind == "tensor")
                        {
                            TorchTensorFile.ReadMetadata(file);
                            TorchTensorFile.Read(file);
                        }
                        else
                        {
                            var f = SafetensorsFile.Open(file);
                            foreach (string name in f.Entries.Keys) f.Read(name);
                        }
                        accepted++;
                    }
                    catch (InvalidDataException) when (kind == "tensor") { errors++; }
                    catch (DiagnosticException) when (kind == "safetensors") { errors++; }
                    catch (Exception e) { crashes.Add($"{kind} mutant {cases}: {e.GetType().Name}: {e.Message}"); }
                }
            TestContext.WriteLine($"FIGURE damaged files: {cases} mutants, {errors} refused with an error, {accepted} still well-formed, {crashes.Count} crashes");
            Assert.IsEmpty(crashes, string.Join("\n", crashes.Take(20)));
        }
        finally { Directory.Delete(dir, true); }
    }
}
