using VideoDataset.Core.Text;
using static VideoDataset.Tests.Text.TokenizerTestSupport;

namespace VideoDataset.Tests.Text;

/// <summary>
/// Added and special tokens, eos, truncation and padding, with expectations derived by hand from transformers
/// 4.47's rules: the text between tokens is encoded alone by the real SentencePiece (spm_encode), each chunk with
/// the dummy prefix in legacy mode; <c>&lt;extra_id_N&gt;</c> strips the whitespace on both sides (lstrip/rstrip),
/// the other special tokens strip nothing; <c>&lt;/s&gt;</c> is appended unless already last.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public class TokenizerSpecialTokenTests
{
    static readonly T5Tokenizer Tokenizer = T5Tokenizer.Load(TinyTokenizerDir);

    /// <summary>spm_encode of one chunk, with the tiny model's dummy prefix.</summary>
    static int[] Sp(string chunk) => SpmEncode(TinyModelPath, chunk);

    static int[] Ids(params object[] parts) =>
        parts.SelectMany(p => p is int id ? [id] : p is int[] ids ? ids : throw new ArgumentException()).ToArray();

    static void AssertEncodes(int[] expected, string text) =>
        CollectionAssert.AreEqual(expected, Tokenizer.EncodeUnpadded(text),
            $"\"{text}\": expected [{string.Join(' ', expected)}], got [{string.Join(' ', Tokenizer.EncodeUnpadded(text))}]");

    [TestMethod]
    public void Layout_MatchesTransformers()
    {
        Assert.AreEqual(1000, Tokenizer.SentencePieceSize);
        Assert.AreEqual(1102, Tokenizer.VocabularySize);
        Assert.AreEqual(EndScene, Tokenizer.TokenToId("<end_scene>"));
        Assert.AreEqual(StartScene, Tokenizer.TokenToId("<start_scene>"));
        Assert.AreEqual(1099, Tokenizer.TokenToId("<extra_id_0>"));
        Assert.AreEqual(1000, Tokenizer.TokenToId("<extra_id_99>"));
        Assert.AreEqual(Eos, Tokenizer.EosId);
        Assert.AreEqual(Pad, Tokenizer.PadId);
        Assert.AreEqual(Unk, Tokenizer.UnkId);
        Assert.IsTrue(Tokenizer.Legacy);
        // The tiny model as its README says it was trained: T5's id layout, no BOS piece.
        var model = SentencePieceModel.FromBytes(File.ReadAllBytes(TinyModelPath));
        CollectionAssert.AreEqual(new[] { "<pad>", "</s>", "<unk>" }, model.Pieces[..3]);
        Assert.IsFalse(model.Pieces.Contains("<s>"));
    }

    [TestMethod]
    public void SceneTokens_AtStartEndBothAndAdjacent()
    {
        AssertEncodes(Ids(StartScene, Sp("A man walks."), Eos), "<start_scene>A man walks.");
        AssertEncodes(Ids(Sp("A man walks."), EndScene, Eos), "A man walks.<end_scene>");
        AssertEncodes(Ids(StartScene, Sp("A man walks."), EndScene, Eos), "<start_scene>A man walks.<end_scene>");
        AssertEncodes(Ids(StartScene, EndScene, Eos), "<start_scene><end_scene>");
        AssertEncodes(Ids(EndScene, StartScene, EndScene, Eos), "<end_scene><start_scene><end_scene>");
        // The text right after a token gets the dummy prefix of its own (legacy): "walks" encodes as "▁walks".
        AssertEncodes(Ids(Sp("A man"), EndScene, Sp("walks"), Eos), "A man<end_scene>walks");
    }

    [TestMethod]
    public void SceneTokens_WithSpacesAround_StripNothing()
    {
        // Spaces stay in the chunks; SentencePiece then drops leading/trailing whitespace of each chunk itself.
        AssertEncodes(Ids(Sp("A man "), EndScene, Sp(" walks"), Eos), "A man <end_scene> walks");
        AssertEncodes(Ids(Sp("  "), StartScene, Sp("  x  "), Eos), "  <start_scene>  x  ");
        // U+0085 is whitespace to Python's strip but an unknown character to SentencePiece: scene tokens keep it.
        AssertEncodes(Ids(Sp("a"), Unk, EndScene, Eos), "a\u0085<end_scene>");
        CollectionAssert.AreEqual(Ids(Sp("a"), Unk), Sp("a\u0085"));
    }

    [TestMethod]
    public void ExtraIds_StripWhitespaceOnBothSides()
    {
        AssertEncodes(Ids(Sp("A cat"), ExtraId(5), Sp("runs"), Eos), "A cat <extra_id_5> runs");
        AssertEncodes(Ids(ExtraId(0), ExtraId(99), Eos), "<extra_id_0> <extra_id_99>");
        // Observable even in legacy mode: U+0085 next to an extra id is stripped (Python str.rstrip/lstrip).
        AssertEncodes(Ids(Sp("a"), ExtraId(5), Sp("b"), Eos), "a\u0085<extra_id_5>\u0085b");
        // <extra_id_100> is no token (extra ids are 0..99): plain text.
        AssertEncodes(Ids(Sp("<extra_id_100>"), Eos), "<extra_id_100>");
        // Longest token at a position: <extra_id_10> is not <extra_id_1> followed by "0>".
        AssertEncodes(Ids(ExtraId(10), Eos), "<extra_id_10>");
    }

    [TestMethod]
    public void EosInsideAndAtEnd()
    {
        // Inside: split out as a token; the text still gets its own eos at the end.
        AssertEncodes(Ids(Sp("A cat"), Eos, Sp(" runs"), Eos), "A cat</s> runs");
        // At the end: _add_eos_if_not_present adds no second one.
        AssertEncodes(Ids(Sp("A cat runs"), Eos), "A cat runs</s>");
        AssertEncodes(Ids(Eos), "</s>");
        AssertEncodes(Ids(Eos, Eos), "</s></s>");
        // Whitespace after the final </s> is its own chunk that encodes to nothing, so </s> is still last.
        AssertEncodes(Ids(Sp("x"), Eos), "x</s>  ");
    }

    [TestMethod]
    public void PadAndUnkTokensInText()
    {
        AssertEncodes(Ids(Sp("A "), Pad, Sp(" b"), Eos), "A <pad> b");
        AssertEncodes(Ids(Sp("x"), Unk, Sp("y"), Eos), "x<unk>y");
        AssertEncodes(Ids(Pad, Eos), "<pad>");
        // A literal <unk> token next to unknown characters stays separate from their <unk> (different chunks).
        AssertEncodes(Ids(Unk, Sp("東"), Eos), "<unk>東");
    }

    [TestMethod]
    public void Lookalikes_AreOrdinaryText()
    {
        foreach (string text in new[] { "<start_scene", "<START_SCENE>", "start_scene>", "< start_scene>",
                                        "<start_scene >", "</s", "<pad", "</S>", "<Extra_id_5>", "<extra_id_>" })
            AssertEncodes(Ids(Sp(text), Eos), text);
        // A lookalike right before a real token: only the real one splits.
        AssertEncodes(Ids(Sp("<start_scene"), StartScene, Eos), "<start_scene<start_scene>");
    }

    [TestMethod]
    public void EmptyAndWhitespaceOnly_AreJustEosThenPadding()
    {
        CollectionAssert.AreEqual(new[] { Eos, Pad, Pad, Pad, Pad }, Tokenizer.Encode("", 5));
        CollectionAssert.AreEqual(new[] { Eos, Pad, Pad, Pad, Pad }, Tokenizer.Encode("   \t  ", 5));
        CollectionAssert.AreEqual(new[] { Eos }, Tokenizer.EncodeUnpadded(""));
    }

    [TestMethod]
    public void Padding_IsZeroOnTheRight()
    {
        int[] ids = Tokenizer.Encode("<start_scene>A man walks.", 20);
        int[] content = Ids(StartScene, Sp("A man walks."), Eos);
        CollectionAssert.AreEqual(content.Concat(Enumerable.Repeat(Pad, 20 - content.Length)).ToArray(), ids);
    }

    [TestMethod]
    public void Truncation_KeepsEosLast()
    {
        string text = "The old fisherman walks slowly across the street at night.";
        int[] all = Sp(text);
        Assert.IsGreaterThan(8, all.Length);
        CollectionAssert.AreEqual(Ids(all[..7], Eos), Tokenizer.Encode(text, 8));
        // Exactly fitting: no truncation.
        CollectionAssert.AreEqual(Ids(all, Eos), Tokenizer.Encode(text, all.Length + 1));
        // One short: the last piece goes, eos stays.
        CollectionAssert.AreEqual(Ids(all[..^1], Eos), Tokenizer.Encode(text, all.Length));
        // The scene token at the end is cut like any token.
        CollectionAssert.AreEqual(Ids(all[..7], Eos), Tokenizer.Encode(text + "<end_scene>", 8));
        CollectionAssert.AreEqual(new[] { Sp(text)[0], Eos }, Tokenizer.Encode(text, 2));
    }

    [TestMethod]
    public void Truncation_EdgeCasesWithEosInText()
    {
        int[] a = Sp("a b c");  // ▁a ▁b ▁c
        Assert.AreEqual(3, a.Length);
        // ids [a b c </s>] (4) with max 4: 4 + 1 > 4 removes one id (the </s>), then </s> is appended again.
        CollectionAssert.AreEqual(Ids(a, Eos), Tokenizer.Encode("a b c</s>", 4));
        // Truncation that ends right after an inner </s>: it is last, so none is added and one pad follows.
        int[] expected = Ids(Sp("a"), Eos, Pad);
        CollectionAssert.AreEqual(expected, Tokenizer.Encode("a</s>b c d e", 3));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Tokenizer.Encode("a", 1));
    }
}
