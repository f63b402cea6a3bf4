using VideoDataset.Core.Text;
using static VideoDataset.Tests.Text.TokenizerTestSupport;

namespace VideoDataset.Tests.Text;

/// <summary>The added-token split (transformers' Trie.split rules) and the single_word flag.</summary>
[TestClass]
[TestCategory("Unit")]
public class TokenizerTrieTests
{
    static void AssertSplit(string[] tokens, string text, params string[] expected) =>
        CollectionAssert.AreEqual(expected, new T5TokenizerTrie(tokens).Split(text), $"\"{text}\"");

    [TestMethod]
    public void Split_LeftmostThenLongest()
    {
        AssertSplit(["<a>", "<ab>"], "x<ab>y", "x", "<ab>", "y");
        AssertSplit(["<a>", "<ab>"], "<a><ab><a>", "<a>", "<ab>", "<a>");
        AssertSplit(["ab", "bcd"], "abcd", "ab", "cd");            // the earlier start wins over the longer token
        AssertSplit(["abc", "b"], "abd", "a", "b", "d");           // a failed longer match leaves the short one
        AssertSplit(["abc", "b"], "xabc", "x", "abc");
        AssertSplit(["<x>"], "", []);
        AssertSplit(["<x>"], "no token", "no token");
        AssertSplit(["<x>"], "<x>", "<x>");
        AssertSplit(["<x>"], "<x<x>>", "<x", "<x>", ">");
        AssertSplit(["<extra_id_1>", "<extra_id_10>"], "a<extra_id_10><extra_id_1>", "a", "<extra_id_10>", "<extra_id_1>");
    }

    [TestMethod]
    public void SingleWordToken_StaysOnlyWhenAWordOfItsOwn()
    {
        string dir = TokenizerFolder(("tokenizer_config.json", """
            {"added_tokens_decoder": {"2000": {"content": "zz", "lstrip": false, "normalized": true, "rstrip": false,
                                               "single_word": true, "special": false}}}
            """));
        try
        {
            var tokenizer = T5Tokenizer.Load(dir);
            int[] Sp(string chunk) => SpmEncode(TinyModelPath, chunk);
            // The token with id 2000 makes the vocabulary one longer, so the scene tokens move up by one.
            Assert.AreEqual(1101, tokenizer.TokenToId("<end_scene>"));
            Assert.AreEqual(1102, tokenizer.TokenToId("<start_scene>"));
            Assert.AreEqual(1103, tokenizer.VocabularySize);
            CollectionAssert.AreEqual(Sp("a ").Append(2000).Concat(Sp(" b")).Append(Eos).ToArray(), tokenizer.EncodeUnpadded("a zz b"));
            // Glued to the word on its left or right: it becomes text of that chunk.
            CollectionAssert.AreEqual(Sp("azz").Concat(Sp(" b")).Append(Eos).ToArray(), tokenizer.EncodeUnpadded("azz b"));
            CollectionAssert.AreEqual(Sp("a ").Concat(Sp("zzb")).Append(Eos).ToArray(), tokenizer.EncodeUnpadded("a zzb"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
