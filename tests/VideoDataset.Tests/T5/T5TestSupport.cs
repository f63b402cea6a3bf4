using System.Diagnostics;
using System.Text.Json;
using VideoDataset.Core.Models.T5;

namespace VideoDataset.Tests.T5;

/// <summary>Temporary folders, token fixtures and the Python reference runner for the T5 tests.</summary>
static class T5TestSupport
{
    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "vds-t5-" + name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    static string ScriptPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "python", "t5_reference.py");
            if (File.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "tests", "VideoDataset.Tests", "python", "t5_reference.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("t5_reference.py not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs the reference script with /usr/bin/python3 (python3-torch); fails the test on any error.</summary>
    public static string RunPython(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ScriptPath());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            Assert.Fail($"t5_reference.py {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    /// <summary>The reference encoder's float32 output, [texts, length, d_model] flattened.</summary>
    public static float[] ReferenceEncode(string modelDir, IReadOnlyList<int[]> ids)
    {
        string work = TempDir("ref");
        try
        {
            string idsPath = Path.Combine(work, "ids.json"), outPath = Path.Combine(work, "out.f32");
            File.WriteAllText(idsPath, JsonSerializer.Serialize(ids));
            RunPython("encode", modelDir, idsPath, outPath);
            byte[] bytes = File.ReadAllBytes(outPath);
            var values = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
            return values;
        }
        finally { Directory.Delete(work, true); }
    }

    /// <summary>
    /// Texts as the tokenizer hands them over: a few random ids, then &lt;/s&gt; (1), then &lt;pad&gt; (0)
    /// up to <paramref name="length"/>; one text fills the whole length.
    /// </summary>
    public static List<int[]> PaddedTexts(int count, int length, int vocab, int seed)
    {
        var random = new Random(seed);
        var texts = new List<int[]>();
        for (int i = 0; i < count; i++)
        {
            int used = i == 0 ? length - 1 : random.Next(3, Math.Min(60, length - 1));
            var ids = new int[length];
            for (int t = 0; t < used; t++) ids[t] = random.Next(2, vocab);
            ids[used] = 1;
            texts.Add(ids);
        }
        return texts;
    }

    public static T5Config SecondConfig { get; } = new()
    {
        // Odd head count, inner width (5*24=120) unlike d_model, other bucket settings.
        VocabSize = 300, DModel = 128, DKv = 24, DFf = 200, NumLayers = 3, NumHeads = 5,
        RelativeAttentionNumBuckets = 24, RelativeAttentionMaxDistance = 60, LayerNormEpsilon = 1e-6,
        FeedForwardProj = "gated-gelu", DenseActFn = "gelu_new", IsGatedAct = true,
    };
}
