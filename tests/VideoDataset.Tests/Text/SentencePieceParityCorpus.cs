using System.Text;
using static VideoDataset.Tests.Text.TokenizerTestSupport;

namespace VideoDataset.Tests.Text;

/// <summary>
/// The lines on which our SentencePiece encoding is compared with <c>spm_encode</c>, generated (fixed seeds, so
/// every run compares the same lines). Each part aims at one way an encoder can differ: normalization of every
/// code point, equal-score segmentations of repeated characters, script boundaries, emoji sequences, captions.
/// spm_encode reads lines split at "\n" only, so no line holds U+000A; U+000D stays in (inside a line it is text).
/// </summary>
internal static class SentencePieceParityCorpus
{
    public sealed record Part(string Name, List<string> Lines);

    public static List<Part> Parts() =>
    [
        new("parity corpus", ParityCorpusLines()),
        new("every code point", EveryCodePoint()),
        new("repeated characters", RepeatedCharacterRuns()),
        new("mixed scripts", MixedScripts(12_000)),
        new("emoji sequences", EmojiSequences(6_000)),
        new("captions", Captions(15_000)),
        new("whitespace and controls", WhitespaceAndControls()),
    ];

    /// <summary>The committed 5,000-line parity corpus, 500 training-caption lines and hand-picked edge lines.</summary>
    public static List<string> ParityCorpusLines()
    {
        var lines = File.ReadAllLines(TestDataPath("tokenizer_parity_corpus.txt")).ToList();
        lines.AddRange(File.ReadLines(TestDataPath("tokenizer_train_corpus.txt")).Take(500));
        lines.AddRange(["", " ", "\t", "  \t  ", "a", " a", "a ", "▁", "▁▁", "▁a", "a▁b", "東", "東京東京東京",
                        "ëëë", "a ë ë b", "🙂🙂 🙂", string.Concat(Enumerable.Repeat("The cat runs. ", 200)),
                        new string('x', 3000), "Ａ１！", "ﬁne ½", "e\u0301", "\u00a0a\u00a0", "a\u0085b",
                        // Control-piece strings are plain text to SentencePiece (T5Tokenizer cuts them out first).
                        "a</s>b", "<pad>", "<unk>", "x<unk>", "</s>", "<s>"]);
        return lines;
    }

    /// <summary>"a" + c + "b" for every code point c from U+0001 to U+2FFFF but U+000A and the surrogates.</summary>
    public static List<string> EveryCodePoint()
    {
        var lines = new List<string>(200_000);
        for (int c = 0x1; c <= 0x2FFFF; c++)
        {
            if (c == '\n' || c is >= 0xD800 and <= 0xDFFF)
                continue;
            lines.Add("a" + char.ConvertFromUtf32(c) + "b");
        }
        return lines;
    }

    /// <summary>Runs of 2 to 40 of every printable ASCII character but space (and of some non-ASCII ones that
    /// normalize to several characters or are pieces on their own), alone and inside a sentence.</summary>
    public static List<string> RepeatedCharacterRuns()
    {
        var characters = Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(c => ((char)c).ToString()).ToList();
        characters.AddRange(["\u2034", "\u2026", "\uFF01", "\u30FC", "\u00E9", "e\u0301", "\u2581", "\u00B7",
                             "\u2014", "\u3002", "🙂", "\u00BD", "\uFB01", "\u2460"]);
        var lines = new List<string>();
        foreach (string c in characters)
            for (int n = 2; n <= 40; n++)
            {
                string run = string.Concat(Enumerable.Repeat(c, n));
                lines.Add(run);
                lines.Add($"Tom's tail gets caught in the door: {run} and he runs");
                lines.Add($"{run}{run.ToLowerInvariant()} {c}");
            }
        // Alternations and mixed runs, where equal-score segmentations in another order are most common.
        var random = new Random(14);
        string[] letters = ["E", "O", "W", "A", "H", "R", "G", "!", "?", ".", "-", "*", "4", "C", "'", "="];
        for (int i = 0; i < 3_000; i++)
        {
            var sb = new StringBuilder();
            int groups = random.Next(1, 6);
            for (int g = 0; g < groups; g++)
                sb.Append(letters[random.Next(letters.Length)][0], random.Next(1, 12));
            lines.Add(i % 2 == 0 ? sb.ToString() : $"\"{sb}\" he yells");
        }
        return lines;
    }

    static readonly string[][] ScriptWords =
    [
        ["the", "cat", "jumps", "over", "a", "lazy", "dog", "running", "quickly", "Video", "NASA", "iPhone", "McDonald's"],
        ["кошка", "прыгает", "через", "собаку", "Москва", "видео", "ёжик"],
        ["γάτα", "πηδάει", "πάνω", "από", "σκύλο", "Αθήνα"],
        ["猫", "が", "犬", "を", "飛び越える", "東京", "ビデオ", "映像", "カメラ", "走っている"],
        ["一只", "猫", "跳过", "懒狗", "北京", "视频", "镜头"],
        ["고양이가", "개를", "뛰어넘는다", "서울", "비디오"],
        ["القطة", "تقفز", "فوق", "الكلب", "القاهرة", "فيديو"],
        ["החתול", "קופץ", "מעל", "הכלב", "ירושלים"],
        ["बिल्ली", "कुत्ते", "के", "ऊपर", "कूदती", "है", "दिल्ली"],
        ["แมว", "กระโดด", "ข้าม", "สุนัข", "กรุงเทพ"],
        ["Straße", "Größe", "naïve", "café", "façade", "Ærø", "Łódź", "İstanbul", "ǅemal", "ﬁnal", "ＡＢＣ", "１２３"],
        ["ሰላም", "ქართული", "Հայերեն", "ᏣᎳᎩ", "ᠮᠣᠩᠭᠣᠯ", "𐌰𐌱𐌲", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚"],
    ];

    static readonly string[] Joiners = [" ", " ", " ", "", "-", ", ", "  ", "\t", "/", "·", "\u3000", "\u00A0", "・"];

    /// <summary>Words of different scripts side by side, with and without spaces between them.</summary>
    public static List<string> MixedScripts(int count)
    {
        var random = new Random(1414);
        var lines = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            int words = random.Next(1, 14);
            for (int w = 0; w < words; w++)
            {
                if (w > 0)
                    sb.Append(Joiners[random.Next(Joiners.Length)]);
                var script = ScriptWords[random.Next(ScriptWords.Length)];
                sb.Append(script[random.Next(script.Length)]);
                if (random.Next(8) == 0)
                    sb.Append(random.Next(10_000));
            }
            if (random.Next(3) == 0)
                sb.Append(".。!?！？…"[random.Next(7)]);
            lines.Add(sb.ToString());
        }
        return lines;
    }

    static readonly string[] EmojiBases = ["👨", "👩", "👧", "👦", "🧑", "👶", "🐱", "🐶", "❤", "☺", "✌", "🏳", "🏴", "👍", "🤷", "⛹", "🙂", "😂", "🔥", "⭐", "1", "#", "*"];
    static readonly string[] EmojiModifiers = ["", "", "\uFE0F", "\uFE0E", "🏻", "🏽", "🏿", "\u20E3", "\uFE0F\u20E3"];
    static readonly string[] EmojiWhole =
    [
        "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "🏳️‍🌈", "🏴‍☠️", "👁️‍🗨️", "🧑🏽‍💻", "🤷🏻‍♀️", "⛹️‍♂️", "1️⃣", "#️⃣", "🇺🇸", "🇯🇵🇫🇷",
        "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️‍🔥", "🐈‍⬛", "☺︎", "✌🏾", "🫶🏼", "\u200D", "\u200C", "a\u200Db", "ℹ️",
    ];

    /// <summary>Emoji with zero-width joiners, variation selectors, skin tones, keycaps, flags and tag
    /// sequences, alone, glued together and inside captions.</summary>
    public static List<string> EmojiSequences(int count)
    {
        var random = new Random(2626);
        var lines = new List<string>(count + EmojiWhole.Length);
        lines.AddRange(EmojiWhole);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            if (random.Next(2) == 0)
                sb.Append("A cat plays ");
            int emoji = random.Next(1, 6);
            for (int e = 0; e < emoji; e++)
            {
                if (random.Next(3) == 0)
                    sb.Append(EmojiWhole[random.Next(EmojiWhole.Length)]);
                else
                {
                    int parts = random.Next(1, 4);
                    for (int p = 0; p < parts; p++)
                    {
                        if (p > 0) sb.Append('\u200D');
                        sb.Append(EmojiBases[random.Next(EmojiBases.Length)]);
                        sb.Append(EmojiModifiers[random.Next(EmojiModifiers.Length)]);
                    }
                }
                if (random.Next(4) == 0) sb.Append(' ');
            }
            if (random.Next(2) == 0)
                sb.Append(" so happy!!");
            lines.Add(sb.ToString());
        }
        return lines;
    }

    static readonly string[] Subjects = ["A man", "The woman", "a small dog", "Two kids", "THE CROWD", "Tom", "Jerry", "the robot", "A golden retriever", "grandma"];
    static readonly string[] Verbs = ["walks", "runs", "SCREAMS", "laughs", "jumps", "is dancing", "says", "whispers", "falls", "YELLS"];
    static readonly string[] Places = ["in the park", "on the beach", "at 10:45 p.m.", "in 1990s Tokyo", "on 5th Avenue", "near the café", "under the bridge", "in the rain", "at the 3rd floor"];
    static readonly string[] Sounds = ["BOOM!!!", "AAAAHHH", "yeeeooowww", "KA-POW!", "zzzzz", "Hmmm...", "WHOOSH", "ha ha ha", "brrrr", "ooooh", "Nooooo!", "psst", "crash-bang-wallop", "tick-tock"];
    static readonly string[] Quotes = ["\"{0}\"", "“{0}”", "‘{0}’", "'{0}'", "«{0}»", "„{0}“", "「{0}」", "『{0}』", "({0})", "[{0}]", "*{0}*", "_{0}_"];
    static readonly string[] Numbers = ["1,234.56", "$5", "€12,50", "50%", "3.14159", "2024", "#1", "No. 7", "1/2", "½", "x2", "24fps", "4K", "-3°C", "10,000", "0.5s", "1st", "22nd"];
    static readonly string[] Ends = [".", "!", "?", "...", "…", "!!", "?!", " :)", " ;-)", "", " --", "!!!1!"];

    /// <summary>Caption-like sentences: shouting, onomatopoeia, quotes, numbers, ellipses.</summary>
    public static List<string> Captions(int count)
    {
        var random = new Random(777);
        string Pick(string[] from) => from[random.Next(from.Length)];
        var lines = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            sb.Append(Pick(Subjects)).Append(' ').Append(Pick(Verbs));
            if (random.Next(2) == 0) sb.Append(' ').Append(Pick(Places));
            if (random.Next(2) == 0) sb.Append(", ").Append(string.Format(Pick(Quotes), Pick(Sounds)));
            if (random.Next(3) == 0) sb.Append(" with ").Append(Pick(Numbers)).Append(' ').Append(Pick(["apples", "cars", "frames", "people"]));
            if (random.Next(4) == 0) sb.Append(' ').Append(Pick(Sounds));
            sb.Append(Pick(Ends));
            string line = sb.ToString();
            lines.Add(random.Next(10) switch { 0 => line.ToUpperInvariant(), 1 => line.ToLowerInvariant(), _ => line });
        }
        return lines;
    }

    /// <summary>Whitespace of all kinds at the edges and in runs, control characters and deleted characters
    /// next to spaces (the order in which the normalizer removes them matters).</summary>
    public static List<string> WhitespaceAndControls()
    {
        string[] spaces = [" ", "  ", "\t", "\r", "\u00A0", "\u2002", "\u3000", "\u200B", "\u2028", "\u0085", "\u000B", "\u000C", "\u001F", "\u0007", "\u007F", "\u00AD", "\uFEFF", "\u0000", "\u180E", "\u202F", "\u2581"];
        var lines = new List<string>
        {
            "bell\u0007 null\u0000 del\u007F esc\u001B text",
            "… Tom's tail gets caught in the door: YEEEOOOWWW! …",
        };
        foreach (string a in spaces)
            foreach (string b in spaces)
            {
                lines.Add(a + "x" + b);
                lines.Add("x" + a + b + "y");
                lines.Add(a + b);
                lines.Add(a + b + "x y" + b + a);
            }
        return lines;
    }
}
