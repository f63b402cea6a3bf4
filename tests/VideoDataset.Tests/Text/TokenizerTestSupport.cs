using System.Diagnostics;
using System.Text;

namespace VideoDataset.Tests.Text;

/// <summary>Paths of the tokenizer test data and the real SentencePiece (<c>spm_encode</c>) as the reference.</summary>
internal static class TokenizerTestSupport
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string TinyTokenizerDir => Path.Combine(RepoRoot, "src", "VideoDataset.Core", "TinyModels", "tokenizer");

    public static string TinyModelPath => Path.Combine(TinyTokenizerDir, "spiece.model");

    public static string TestDataPath(string name) => Path.Combine(RepoRoot, "tests", "VideoDataset.Tests", "TestData", name);

    /// <summary>Ids the tiny model gives with T5Tokenizer's layout: 1000 pieces, then extra ids, then scene tokens.</summary>
    public const int Pad = 0, Eos = 1, Unk = 2, EndScene = 1100, StartScene = 1101;

    public static int ExtraId(int n) => 1099 - n;

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DatasetTasks.sln")))
                return dir.FullName;
        throw new InvalidOperationException("repository root (DatasetTasks.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Runs <c>spm_encode --output_format=id</c> on each line (lines may hold no "\n": spm_encode splits its input
    /// there and nowhere else) and returns the ids per line. Fails the test when spm_encode is missing: the parity
    /// proof must not silently vanish.
    /// </summary>
    public static List<int[]> SpmEncode(string modelPath, IReadOnlyList<string> lines)
    {
        foreach (string line in lines)
            if (line.Contains('\n'))
                throw new ArgumentException("spm_encode reads lines; a text may hold no \\n: " + line);
        string input = Path.GetTempFileName();
        try
        {
            File.WriteAllText(input, string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(false));
            var start = new ProcessStartInfo("spm_encode")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            start.ArgumentList.Add("--model=" + modelPath);
            start.ArgumentList.Add("--output_format=id");
            start.ArgumentList.Add("--input=" + input);
            using var process = Process.Start(start)
                ?? throw new InvalidOperationException("spm_encode did not start (install the sentencepiece package)");
            var stderr = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.AreEqual(0, process.ExitCode, "spm_encode failed: " + stderr.Result);
            var result = output.Split('\n')
                .Take(lines.Count)
                .Select(l => l.Length == 0 ? [] : l.Split(' ').Select(int.Parse).ToArray())
                .ToList();
            Assert.AreEqual(lines.Count, result.Count, "spm_encode returned a different number of lines");
            return result;
        }
        finally
        {
            File.Delete(input);
        }
    }

    public static int[] SpmEncode(string modelPath, string line) => SpmEncode(modelPath, [line])[0];

    /// <summary>A copy of the tiny model with <c>add_dummy_prefix</c> off, made by appending a
    /// <c>normalizer_spec { add_dummy_prefix: false }</c> (protobuf merges it), as transformers' legacy=False does.</summary>
    public static string NoDummyPrefixModel()
    {
        string path = Path.Combine(Path.GetTempPath(), "vds-tok-noprefix-" + Guid.NewGuid().ToString("N") + ".model");
        File.WriteAllBytes(path, [.. File.ReadAllBytes(TinyModelPath), 0x1A, 0x02, 0x18, 0x00]);
        return path;
    }

    /// <summary>A temporary tokenizer folder holding the tiny spiece.model and the given extra files.</summary>
    public static string TokenizerFolder(params (string Name, string Text)[] files)
    {
        string dir = Path.Combine(Path.GetTempPath(), "vds-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.Copy(TinyModelPath, Path.Combine(dir, "spiece.model"));
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Combine(dir, name), text);
        return dir;
    }
}
