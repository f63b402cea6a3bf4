using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Report;
using VideoDataset.Core.Text;
using VideoDataset.Tests.Text;

namespace VideoDataset.Tests.Report;

[TestClass]
[TestCategory("Unit")]
public class AnnotationTextChecksTests
{
    string _dir = "";
    string Episodes => Path.Combine(_dir, "episodes");
    string AnnotationFile => Path.Combine(_dir, "annotations.jsonl");
    static readonly T5Tokenizer Tokenizer = T5Tokenizer.Load(TokenizerTestSupport.TinyTokenizerDir);

    [TestInitialize]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "vds-textcheck-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(Episodes, "ep01"));
        foreach (string v in new[] { "a", "b", "c", "d" })
            File.WriteAllBytes(Path.Combine(Episodes, "ep01", v + ".mp4"), [1]);
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    List<Diagnostic> Check(int maxLength, params string[] lines)
    {
        File.WriteAllText(AnnotationFile, string.Join("\n", lines) + "\n");
        var set = AnnotationReader.Read(AnnotationFile, Episodes);
        Assert.IsFalse(set.HasErrors, string.Join("\n", set.Diagnostics));
        return AnnotationTextChecks.Check(AnnotationFile, set.Entries, Tokenizer, maxLength);
    }

    [TestMethod]
    public void CleanTextsGiveNoWarning()
    {
        var d = Check(498, """{"video": "ep01/a.mp4", "scene_start": [true, false], "scene_end": [false, true], "text_0": "A red ball.", "text_1": "The ball rolls away."}""");
        Assert.IsEmpty(d);
    }

    [TestMethod]
    public void ALongTextIsWarnedAtItsColumnWithTheCutAndTheLostEndSceneToken()
    {
        string longText = string.Concat(Enumerable.Repeat("a red ball rolls ", 40));
        string line = $$"""{"video": "ep01/a.mp4", "scene_start": [false], "scene_end": [true], "text_0": "{{longText}}"}""";
        int count = Tokenizer.EncodeUnpadded(longText + "<end_scene>").Length;
        Assert.IsGreaterThan(64, count);
        var d = Check(64, line);
        Assert.HasCount(1, d);
        Assert.AreEqual(AnnotationTextChecks.TextTruncated, d[0].Code);
        Assert.AreEqual(Severity.Warning, d[0].Severity);
        Assert.AreEqual(1, d[0].Line);
        Assert.AreEqual(line.IndexOf("\"a red", StringComparison.Ordinal) + 1, d[0].Column);
        StringAssert.Contains(d[0].Message, $"is {count} tokens");
        StringAssert.Contains(d[0].Message, $"the last {count - 64} tokens are cut");
        StringAssert.Contains(d[0].Message, "including <end_scene>");
        StringAssert.StartsWith(d[0].ToString(), $"{AnnotationFile}(1,{d[0].Column}): warning VDS1101: ");
    }

    [TestMethod]
    public void ATextCutWithoutASceneEndKeepsNothingToLoseAndTheLimitItselfIsNoCut()
    {
        string text = string.Concat(Enumerable.Repeat("a red ball rolls ", 40));
        int count = Tokenizer.EncodeUnpadded(text).Length;
        var d = Check(64, $$"""{"video": "ep01/a.mp4", "scene_start": [false], "scene_end": [false], "text_0": "{{text}}"}""");
        Assert.HasCount(1, d);
        StringAssert.EndsWith(d[0].Message, $"the last {count - 64} tokens are cut.");
        // Exactly TextMaxLength tokens (with </s>) loses nothing.
        Assert.IsEmpty(Check(count, $$"""{"video": "ep01/a.mp4", "scene_start": [false], "scene_end": [false], "text_0": "{{text}}"}"""));
    }

    [TestMethod]
    public void EmptyAndWhitespaceTextsAreWarned()
    {
        var d = Check(498, """{"video": "ep01/a.mp4", "scene_start": [true, false, false], "scene_end": [false, false, true], "text_0": "", "text_1": "  \t", "text_2": "fine"}""");
        CollectionAssert.AreEqual(new[] { "VDS1102", "VDS1102" }, d.Select(x => x.Code).ToArray());
        StringAssert.Contains(d[0].Message, "\"text_0\"");
        StringAssert.Contains(d[0].Message, "is empty");
        StringAssert.Contains(d[1].Message, "only whitespace");
        Assert.IsLessThan(d[1].Column, d[0].Column);
    }

    [TestMethod]
    public void ARepeatedTextIsWarnedOnlyInsideOneScene()
    {
        var d = Check(498,
            // text_1 repeats text_0 in the same scene: warned. text_2 repeats text_1 but starts a new scene: not warned.
            """{"video": "ep01/a.mp4", "scene_start": [true, false, true], "scene_end": [false, false, true], "text_0": "Same.", "text_1": "Same.", "text_2": "Same."}""",
            // text_1 repeats text_0, but text_0 ends its scene: a new scene, not warned.
            """{"video": "ep01/b.mp4", "scene_start": [true, false], "scene_end": [true, true], "text_0": "Again.", "text_1": "Again."}""",
            // Different segments of different lines never compare.
            """{"video": "ep01/c.mp4", "scene_start": [false], "scene_end": [false], "text_0": "Again."}""");
        Assert.HasCount(1, d);
        Assert.AreEqual(AnnotationTextChecks.TextRepeated, d[0].Code);
        Assert.AreEqual(1, d[0].Line);
        StringAssert.Contains(d[0].Message, "\"text_1\"");
    }

    [TestMethod]
    public void WithoutATokenizerOnlyTheLengthCheckIsSkipped()
    {
        File.WriteAllText(AnnotationFile, $$"""{"video": "ep01/a.mp4", "scene_start": [true, false], "scene_end": [false, true], "text_0": "", "text_1": "{{new string('x', 5000)}}"}""" + "\n");
        var set = AnnotationReader.Read(AnnotationFile, Episodes);
        var d = AnnotationTextChecks.Check(AnnotationFile, set.Entries, tokenizer: null, maxLength: 16);
        CollectionAssert.AreEqual(new[] { "VDS1102" }, d.Select(x => x.Code).ToArray());
    }

    [TestMethod]
    public void TheCacheGivesTheSameWarningsWithoutCheckingAgainUntilItsInputsChange()
    {
        string cache = Path.Combine(_dir, "obj", "text-checks.tsv");
        var first = Check(498, """{"video": "ep01/a.mp4", "scene_start": [true, false], "scene_end": [false, true], "text_0": "", "text_1": "Tab\there."}""");
        Assert.HasCount(1, first);
        int checks = 0;
        List<Diagnostic> Run(string key) => TextCheckCache.GetOrCheck(cache, key, () => { checks++; return first; });
        var a = Run("k1");
        var time = File.GetLastWriteTimeUtc(cache);
        var b = Run("k1");
        Assert.AreEqual(1, checks);
        CollectionAssert.AreEqual(first.Select(d => d.ToString()).ToList(), b.Select(d => d.ToString()).ToList());
        Assert.AreEqual(time, File.GetLastWriteTimeUtc(cache)); // a hit writes nothing
        Run("k2");
        Assert.AreEqual(2, checks);
    }
}
