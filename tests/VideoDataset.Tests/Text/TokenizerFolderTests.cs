using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Text;
using static VideoDataset.Tests.Text.TokenizerTestSupport;

namespace VideoDataset.Tests.Text;

/// <summary>The tokenizer folder: tokenizer_config.json options, the fingerprint, and diagnostics for bad files.</summary>
[TestClass]
[TestCategory("Unit")]
public class TokenizerFolderTests
{
    static readonly List<string> Folders = [];

    static string Folder(params (string Name, string Text)[] files)
    {
        string dir = TokenizerFolder(files);
        Folders.Add(dir);
        return dir;
    }

    [ClassCleanup]
    public static void RemoveFolders()
    {
        foreach (string dir in Folders)
            Directory.Delete(dir, recursive: true);
    }

    static int[] Sp(string chunk) => SpmEncode(TinyModelPath, chunk);

    static int[] Ids(params object[] parts) =>
        parts.SelectMany(p => p is int id ? [id] : p is int[] ids ? ids : throw new ArgumentException()).ToArray();

    static Diagnostic LoadFails(string dir) =>
        Assert.ThrowsExactly<DiagnosticException>(() => T5Tokenizer.Load(dir)).Diagnostic;

    [TestMethod]
    public void LegacyFalse_TextAfterAToken_GetsNoDummyPrefix()
    {
        var tokenizer = T5Tokenizer.Load(Folder(("tokenizer_config.json", """{"legacy": false}""")));
        var legacy = T5Tokenizer.Load(TinyTokenizerDir);
        Assert.IsFalse(tokenizer.Legacy);
        string noPrefixModel = NoDummyPrefixModel();
        try
        {
            int[] NoPrefix(string chunk) => SpmEncode(noPrefixModel, chunk);
            Assert.AreNotEqual(string.Join(' ', Sp("walks")), string.Join(' ', NoPrefix("walks")));

            // "walks" right after the token is encoded without "▁"; with a space before it, with one.
            CollectionAssert.AreEqual(Ids(Sp("A man"), EndScene, NoPrefix("walks"), Eos),
                                      tokenizer.EncodeUnpadded("A man<end_scene>walks"));
            CollectionAssert.AreEqual(Ids(Sp("A man"), EndScene, Sp("walks"), Eos),
                                      legacy.EncodeUnpadded("A man<end_scene>walks"));
            CollectionAssert.AreEqual(Ids(Sp("A man"), EndScene, Sp("walks"), Eos),
                                      tokenizer.EncodeUnpadded("A man<end_scene> walks"));
            // The prefix space added in front of the text is dropped before a leading special token.
            CollectionAssert.AreEqual(Ids(StartScene, NoPrefix("A man"), Eos), tokenizer.EncodeUnpadded("<start_scene>A man"));
            // Before an extra id the prefix chunk "▁" is kept as text ("▁".rstrip() is "▁" to Python), but
            // SentencePiece strips a trailing "▁" like a space: sp.encode("<unk>▁") is just the unk token's pieces.
            CollectionAssert.AreEqual(Array.Empty<int>(), NoPrefix("<unk>▁")[NoPrefix("<unk>").Length..]);
            CollectionAssert.AreEqual(Ids(ExtraId(5), NoPrefix("runs"), Eos), tokenizer.EncodeUnpadded("<extra_id_5> runs"));
            CollectionAssert.AreEqual(new[] { Eos, Pad }, tokenizer.Encode("", 2));
            // Plain text: the prefix space plays the part of the dummy prefix.
            foreach (string text in new[] { "A man walks.", "  Two   dogs run  ", "Zoë 東京 café" })
                CollectionAssert.AreEqual(legacy.EncodeUnpadded(text), tokenizer.EncodeUnpadded(text), text);
        }
        finally
        {
            File.Delete(noPrefixModel);
        }
    }

    /// <summary>A folder shaped like the ones transformers saves (CogVideoX's tokenizer/): every file present,
    /// added_tokens_decoder listing the specials and the extra ids with the flags T5Tokenizer gives them.</summary>
    [TestMethod]
    public void SavedFolderWithEveryFile_EncodesLikeTheBareModel()
    {
        static string Entry(int id, string content, bool strip) =>
            $$"""
            "{{id}}": {"content": "{{content}}", "lstrip": {{(strip ? "true" : "false")}}, "normalized": false, "rstrip": {{(strip ? "true" : "false")}}, "single_word": false, "special": true}
            """;
        var entries = new List<string> { Entry(0, "<pad>", false), Entry(1, "</s>", false), Entry(2, "<unk>", false) };
        entries.AddRange(Enumerable.Range(0, 100).Select(i => Entry(1099 - i, $"<extra_id_{i}>", true)));
        string extras = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"\"<extra_id_{i}>\""));
        string config = $$"""
            {"add_prefix_space": true, "added_tokens_decoder": { {{string.Join(",\n", entries)}} },
             "additional_special_tokens": [{{extras}}], "clean_up_tokenization_spaces": true, "eos_token": "</s>",
             "extra_ids": 100, "legacy": true, "model_max_length": 226, "pad_token": "<pad>", "sp_model_kwargs": {},
             "tokenizer_class": "T5Tokenizer", "unk_token": "<unk>"}
            """;
        string dir = Folder(("tokenizer_config.json", config),
            ("special_tokens_map.json", $$"""{"additional_special_tokens": [{{extras}}], "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}"""),
            // Ignored by transformers when tokenizer_config.json has added_tokens_decoder.
            ("added_tokens.json", """{"<never>": 5000}"""));
        var saved = T5Tokenizer.Load(dir);
        var bare = T5Tokenizer.Load(TinyTokenizerDir);
        Assert.AreEqual(bare.VocabularySize, saved.VocabularySize);
        Assert.AreNotEqual(bare.Fingerprint, saved.Fingerprint);
        foreach (string text in new[] { "<start_scene>A man walks. <extra_id_3> x <end_scene>", "a\u0085<extra_id_5>\u0085b",
                                        "<never>", "</s> <pad><unk>", "", "Zoë 東京" })
            CollectionAssert.AreEqual(bare.Encode(text, 40), saved.Encode(text, 40), text);
        CollectionAssert.AreEqual(Ids(Sp("<never>"), Eos), saved.EncodeUnpadded("<never>"));
    }

    [TestMethod]
    public void ExtraIdsZero_PutsSceneTokensRightAfterThePieces()
    {
        var tokenizer = T5Tokenizer.Load(Folder(("tokenizer_config.json", """{"extra_ids": 0}""")));
        Assert.AreEqual(1000, tokenizer.TokenToId("<end_scene>"));
        Assert.AreEqual(1001, tokenizer.TokenToId("<start_scene>"));
        Assert.AreEqual(1002, tokenizer.VocabularySize);
        CollectionAssert.AreEqual(Ids(Sp("<extra_id_5>"), 1001, Eos), tokenizer.EncodeUnpadded("<extra_id_5><start_scene>"));
    }

    [TestMethod]
    public void AddedTokensDecoder_OverridesStripFlags()
    {
        const string config = """
            {"added_tokens_decoder": {"1094": {"content": "<extra_id_5>", "lstrip": false, "normalized": false,
                                               "rstrip": false, "single_word": false, "special": true}},
             "legacy": true}
            """;
        var tokenizer = T5Tokenizer.Load(Folder(("tokenizer_config.json", config)));
        // U+0085: whitespace to Python's strip, an unknown character to SentencePiece; no longer stripped.
        CollectionAssert.AreEqual(Ids(Sp("a"), Unk, ExtraId(5), Eos), tokenizer.EncodeUnpadded("a\u0085<extra_id_5>"));
        var plain = T5Tokenizer.Load(TinyTokenizerDir);
        CollectionAssert.AreEqual(Ids(Sp("a"), ExtraId(5), Eos), plain.EncodeUnpadded("a\u0085<extra_id_5>"));
    }

    [TestMethod]
    public void ExplicitExtraIdList_GivesTheDefaultLayout()
    {
        string list = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"\"<extra_id_{i}>\""));
        var tokenizer = T5Tokenizer.Load(Folder(
            ("tokenizer_config.json", $$"""{"extra_ids": 100, "additional_special_tokens": [{{list}}], "eos_token": "</s>"}"""),
            ("special_tokens_map.json", """{"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}""")));
        Assert.AreEqual(1102, tokenizer.VocabularySize);
        Assert.AreEqual(EndScene, tokenizer.TokenToId("<end_scene>"));
        Assert.AreEqual(ExtraId(7), tokenizer.TokenToId("<extra_id_7>"));
        CollectionAssert.AreEqual(Ids(Sp("a"), ExtraId(7), Sp("b"), Eos), tokenizer.EncodeUnpadded("a <extra_id_7> b"));
    }

    [TestMethod]
    public void Fingerprint_IsStableAndFollowsEveryDefiningFile()
    {
        string dir = Folder();
        string first = T5Tokenizer.Load(dir).Fingerprint;
        Assert.MatchesRegex("^[0-9a-f]{64}$", first);
        Assert.AreEqual(first, T5Tokenizer.Load(dir).Fingerprint);
        Assert.AreEqual(first, T5Tokenizer.ComputeFingerprint(dir));
        File.SetLastWriteTimeUtc(Path.Combine(dir, "spiece.model"), DateTime.UtcNow.AddDays(1));
        Assert.AreEqual(first, T5Tokenizer.ComputeFingerprint(dir), "a touched but unchanged file changes nothing");

        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"legacy": true}""");
        string withConfig = T5Tokenizer.ComputeFingerprint(dir);
        Assert.AreNotEqual(first, withConfig);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"legacy": false}""");
        Assert.AreNotEqual(withConfig, T5Tokenizer.ComputeFingerprint(dir));
        File.Delete(Path.Combine(dir, "tokenizer_config.json"));
        Assert.AreEqual(first, T5Tokenizer.ComputeFingerprint(dir));

        byte[] model = File.ReadAllBytes(Path.Combine(dir, "spiece.model"));
        File.WriteAllBytes(Path.Combine(dir, "spiece.model"), [.. model, 0x1A, 0x02, 0x18, 0x01]); // still a valid model
        Assert.AreNotEqual(first, T5Tokenizer.Load(dir).Fingerprint);
    }

    [TestMethod]
    public void MissingModel_IsVDS3101NamingTheFile()
    {
        string dir = Folder();
        File.Delete(Path.Combine(dir, "spiece.model"));
        var diagnostic = LoadFails(dir);
        Assert.AreEqual("VDS3101", diagnostic.Code);
        Assert.AreEqual(Path.Combine(dir, "spiece.model"), diagnostic.File);
        Assert.AreEqual("VDS3101", LoadFails(Path.Combine(dir, "no-such-folder")).Code);
    }

    [TestMethod]
    public void CorruptModel_IsVDS3102NamingTheFile()
    {
        byte[] model = File.ReadAllBytes(TinyModelPath);
        foreach (byte[] bytes in new[] { [], "not a model at all\n"u8.ToArray(), model[..(model.Length / 2)],
                                         [0x08, 0x01] /* one varint field, no pieces */ })
        {
            string dir = Folder();
            File.WriteAllBytes(Path.Combine(dir, "spiece.model"), bytes);
            var diagnostic = LoadFails(dir);
            Assert.AreEqual("VDS3102", diagnostic.Code, $"{bytes.Length} bytes");
            Assert.AreEqual(Path.Combine(dir, "spiece.model"), diagnostic.File);
        }
        // A BPE model (trainer_spec.model_type = 2) is no unigram model.
        string bpe = Folder();
        File.WriteAllBytes(Path.Combine(bpe, "spiece.model"), [.. model, 0x12, 0x02, 0x18, 0x02]);
        StringAssert.Contains(LoadFails(bpe).Message, "UNIGRAM");
    }

    [TestMethod]
    public void BadConfigFiles_AreDiagnosedWithTheirFileAndCode()
    {
        var broken = LoadFails(Folder(("tokenizer_config.json", "{\n  \"legacy\": tru\n}")));
        Assert.AreEqual("VDS3103", broken.Code);
        Assert.EndsWith("tokenizer_config.json", broken.File);
        Assert.AreEqual(2, broken.Line);

        Assert.AreEqual("VDS3103", LoadFails(Folder(("tokenizer_config.json", """{"legacy": "yes"}"""))).Code);
        Assert.AreEqual("VDS3103", LoadFails(Folder(("tokenizer_config.json", """{"extra_ids": -1}"""))).Code);
        Assert.AreEqual("VDS3103", LoadFails(Folder(("tokenizer_config.json", "[1, 2]"))).Code);
        Assert.AreEqual("VDS3103", LoadFails(Folder(("tokenizer_config.json", """{"eos_token": null}"""))).Code);
        Assert.AreEqual("VDS3103", LoadFails(Folder(("tokenizer_config.json", """{"added_tokens_decoder": {"x": {"content": "a"}}}"""))).Code);
        var mismatch = LoadFails(Folder(("tokenizer_config.json",
            """{"extra_ids": 100, "additional_special_tokens": ["<extra_id_0>", "<extra_id_1>"]}""")));
        Assert.AreEqual("VDS3103", mismatch.Code);
        Assert.EndsWith("tokenizer_config.json", mismatch.File);

        var map = LoadFails(Folder(("special_tokens_map.json", """{"eos_token": 5}""")));
        Assert.AreEqual("VDS3104", map.Code);
        Assert.EndsWith("special_tokens_map.json", map.File);
        var added = LoadFails(Folder(("added_tokens.json", """{"<foo>": "x"}""")));
        Assert.AreEqual("VDS3105", added.Code);
        Assert.EndsWith("added_tokens.json", added.File);
        StringAssert.StartsWith(added.ToString(), added.File + ": error VDS3105: ");
    }
}
