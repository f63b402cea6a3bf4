using System.Diagnostics;
using VideoDataset.Core.Text;
using static VideoDataset.Tests.Text.TokenizerTestSupport;

namespace VideoDataset.Tests.Text;

/// <summary>Id-for-id parity with the real SentencePiece (spm_encode) on thousands of generated lines.</summary>
[TestClass]
[TestCategory("Unit")]
public class TokenizerParityTests
{
    static readonly string[] AddedTokenMarks = ["<pad>", "</s>", "<unk>", "<extra_id_", "<end_scene>", "<start_scene>"];

    static List<string> CorpusLines() => SentencePieceParityCorpus.ParityCorpusLines();

    static void AssertSameIds(IReadOnlyList<string> lines, IReadOnlyList<int[]> expected, Func<string, IList<int>> encode)
    {
        int mismatches = 0;
        var report = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            var actual = encode(lines[i]);
            if (!actual.SequenceEqual(expected[i]))
            {
                mismatches++;
                if (report.Count < 5)
                    report.Add($"line {i + 1} \"{lines[i]}\": spm [{string.Join(' ', expected[i])}] ours [{string.Join(' ', actual)}]");
            }
        }
        Assert.AreEqual(0, mismatches, $"{mismatches} of {lines.Count} lines differ:\n" + string.Join("\n", report));
    }

    [TestMethod]
    public void SentencePieceModel_MatchesSpmEncode_OnEveryCorpusLine()
    {
        var lines = CorpusLines();
        Assert.IsGreaterThan(5000, lines.Count);
        var expected = SpmEncode(TinyModelPath, lines);
        var model = SentencePieceModel.FromBytes(File.ReadAllBytes(TinyModelPath));
        AssertSameIds(lines, expected, model.Encode);
        // The corpus must really exercise unknown runs and whitespace handling, or the proof is hollow.
        Assert.IsGreaterThan(500, expected.Count(ids => ids.Contains(Unk)));
        Assert.IsTrue(expected.Any(ids => ids.Length == 0));
    }

    [TestMethod]
    public void SentencePieceModel_WithoutDummyPrefix_MatchesSpmEncode()
    {
        var lines = CorpusLines();
        string patched = NoDummyPrefixModel();
        try
        {
            var expected = SpmEncode(patched, lines);
            var model = SentencePieceModel.FromBytes(File.ReadAllBytes(TinyModelPath), addDummyPrefix: false);
            AssertSameIds(lines, expected, model.Encode);
            // Sanity: the option changes something ("a" encodes as "▁a" with the prefix, not without).
            CollectionAssert.AreNotEqual(SpmEncode(TinyModelPath, "a"), SpmEncode(patched, "a"));
        }
        finally
        {
            File.Delete(patched);
        }
    }

    [TestMethod]
    public void T5Tokenizer_PlainText_IsSpmIdsThenEos()
    {
        var lines = CorpusLines().Where(l => !AddedTokenMarks.Any(l.Contains)).ToList();
        var expected = SpmEncode(TinyModelPath, lines).Select(ids => ids.Append(Eos).ToArray()).ToList();
        var tokenizer = T5Tokenizer.Load(TinyTokenizerDir);
        AssertSameIds(lines, expected, tokenizer.EncodeUnpadded);
    }

    [TestMethod]
    public void LineBreaksInsideText_EncodeLikeSpaces()
    {
        // spm_encode reads lines, so texts holding line breaks are compared with the same text spaced out:
        // nmt_nfkc maps \n, \r and U+2028 to a space (checked against python sentencepiece 0.1.97).
        string[] texts = ["A man\nwalks.", "A man\r\nwalks.\n", "\n", "\n\n\nx", "one\u2028two", "a\n\tb"];
        var expected = SpmEncode(TinyModelPath,
            texts.Select(t => t.Replace("\r", " ").Replace("\n", " ").Replace("\u2028", " ")).ToList());
        var tokenizer = T5Tokenizer.Load(TinyTokenizerDir);
        AssertSameIds(texts, expected.Select(ids => ids.Append(Eos).ToArray()).ToList(), tokenizer.EncodeUnpadded);
    }

    [TestMethod]
    public void UnknownCharacterRun_IsOneUnk()
    {
        var tokenizer = T5Tokenizer.Load(TinyTokenizerDir);
        int underline = SpmEncode(TinyModelPath, "東")[0];  // "▁" then <unk>
        CollectionAssert.AreEqual(new[] { underline, Unk, Eos }, tokenizer.EncodeUnpadded("東京東京🙂ë"));
        CollectionAssert.AreEqual(new[] { underline, Unk, underline, Unk, Eos }, tokenizer.EncodeUnpadded("東京 東京"));
    }
}

/// <summary>The committed corpora are what the committed generator script writes.</summary>
[TestClass]
[TestCategory("Unit")]
public class TokenizerCorpusTests
{
    [TestMethod]
    public void CommittedCorpora_AreReproducedByTheGenerator()
    {
        string outDir = Path.Combine(Path.GetTempPath(), "vds-tok-corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outDir);
        try
        {
            string script = Path.Combine(RepoRoot, "tests", "VideoDataset.Tests", "python", "tokenizer_make_corpus.py");
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(outDir);
            using var process = Process.Start(start)!;
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.AreEqual(0, process.ExitCode, stderr);
            foreach (string name in new[] { "tokenizer_train_corpus.txt", "tokenizer_parity_corpus.txt" })
                CollectionAssert.AreEqual(File.ReadAllBytes(TestDataPath(name)), File.ReadAllBytes(Path.Combine(outDir, name)), name);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }
}
