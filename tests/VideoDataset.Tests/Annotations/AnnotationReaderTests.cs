using System.Text;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Tests.Annotations;

[TestClass]
[TestCategory("Unit")]
public class AnnotationReaderTests
{
    string _dir = "";
    string Episodes => Path.Combine(_dir, "episodes");
    string File1 => Path.Combine(_dir, "annotations.jsonl");

    [TestInitialize]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "vds-ann-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(Episodes, "ep01"));
        foreach (string v in new[] { "ep01/a.mp4", "ep01/b.mp4", "ep01/c.mp4", "ep01/d.mkv" })
            File.WriteAllBytes(Path.Combine(Episodes, v), new byte[] { 1 });
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    const string Good = """{"video": "ep01/a.mp4", "scene_start": [true, false, false], "scene_end": [false, false, true], "text_0": "A", "text_1": "B", "text_2": "C"}""";

    AnnotationSet Read(params string[] lines)
    {
        File.WriteAllText(File1, string.Join("\n", lines) + "\n");
        return AnnotationReader.Read(File1, Episodes);
    }

    static Diagnostic Single(AnnotationSet set, string code)
    {
        var errors = set.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
        Assert.HasCount(1, errors, string.Join("\n", errors));
        Assert.AreEqual(code, errors[0].Code, errors[0].ToString());
        return errors[0];
    }

    [TestMethod]
    public void ValidLineGivesEncodedStringsWithSceneTokens()
    {
        var set = Read(Good, "", """{"mp4": "ep01/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "both"}""");
        Assert.IsEmpty(set.Diagnostics);
        Assert.HasCount(2, set.Entries);
        var a = set.Entries[0];
        Assert.AreEqual(1, a.Line);
        Assert.AreEqual("ep01/a.mp4", a.Video);
        Assert.AreEqual("latents/ep01/a.pt", a.LatentRelativePath);
        CollectionAssert.AreEqual(new[] { "<start_scene>A", "B", "C<end_scene>" }, a.EncodedTexts().ToArray());
        Assert.AreEqual(3, set.Entries[1].Line); // the blank line is skipped but counted
        Assert.AreEqual("<start_scene>both<end_scene>", set.Entries[1].EncodedText(0));
    }

    [TestMethod]
    public void EveryBadLineIsReportedInOneRunAndGoodLinesStay()
    {
        var set = Read("{not json", Good, """{"video": "ep01/b.mp4", "scene_start": [true], "scene_end": [true]}""", "[1,2]");
        CollectionAssert.AreEqual(new[] { 1, 3, 4 }, set.Diagnostics.Select(d => d.Line).ToArray());
        CollectionAssert.AreEqual(new[] { AnnotationReader.MalformedJson, AnnotationReader.MissingText, AnnotationReader.NotAnObject }, set.Diagnostics.Select(d => d.Code).ToArray());
        Assert.HasCount(1, set.Entries);
        Assert.AreEqual(2, set.Entries[0].Line);
    }

    [TestMethod]
    public void MalformedJsonPointsAtTheColumn()
    {
        var d = Single(Read(Good, """{"video": "ep01/b.mp4", "scene_start": [true] "scene_end": [true]}"""), AnnotationReader.MalformedJson);
        Assert.AreEqual(2, d.Line);
        Assert.AreEqual(47, d.Column); // the quote where a comma belongs
        StringAssert.StartsWith(d.ToString(), File1 + "(2,47): error VDS1001: ");
    }

    [TestMethod]
    public void TrailingContentAfterTheObjectIsMalformed() =>
        Assert.AreEqual(1, Single(Read(Good + " {}"), AnnotationReader.MalformedJson).Line);

    [TestMethod]
    public void MissingVideo() => StringAssert.Contains(Single(Read("""{"scene_start": [true], "scene_end": [true], "text_0": "x"}"""), AnnotationReader.BadVideoField).Message, "Missing \"video\"");

    [TestMethod]
    public void VideoOfWrongTypeNamesWhatWasFound()
    {
        var d = Single(Read("""{"video": 12, "scene_start": [true], "scene_end": [true], "text_0": "x"}"""), AnnotationReader.BadVideoField);
        Assert.AreEqual(11, d.Column);
        StringAssert.Contains(d.Message, "the number 12");
    }

    [TestMethod]
    public void VideoAndAliasThatDiffer() =>
        Single(Read("""{"video": "ep01/a.mp4", "mp4": "ep01/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}"""), AnnotationReader.BadVideoField);

    [TestMethod]
    public void FlagsThatAreNotBooleans()
    {
        var d = Single(Read("""{"video": "ep01/a.mp4", "scene_start": [true, 1], "scene_end": [false, false], "text_0": "x", "text_1": "y"}"""), AnnotationReader.BadFlags);
        StringAssert.Contains(d.Message, "\"scene_start\"[1] must be true or false, found the number 1");
    }

    [TestMethod]
    public void FlagsThatAreNotAnArray() =>
        Single(Read("""{"video": "ep01/a.mp4", "scene_start": true, "scene_end": [false], "text_0": "x"}"""), AnnotationReader.BadFlags);

    [TestMethod]
    public void MissingFlags() =>
        Single(Read("""{"video": "ep01/a.mp4", "scene_end": [false], "text_0": "x"}"""), AnnotationReader.BadFlags);

    [TestMethod]
    public void FlagArraysOfDifferentLengths()
    {
        var d = Single(Read("""{"video": "ep01/a.mp4", "scene_start": [true, false], "scene_end": [false], "text_0": "x", "text_1": "y"}"""), AnnotationReader.FlagLengthMismatch);
        StringAssert.Contains(d.Message, "\"scene_end\" has 1 entries but \"scene_start\" has 2");
    }

    [TestMethod]
    public void MissingText()
    {
        var d = Single(Read("""{"video": "ep01/a.mp4", "scene_start": [true, false], "scene_end": [false, true], "text_0": "x"}"""), AnnotationReader.MissingText);
        StringAssert.Contains(d.Message, "Missing \"text_1\"");
    }

    [TestMethod]
    public void ExtraText()
    {
        var d = Single(Read("""{"video": "ep01/a.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x", "text_1": "y"}"""), AnnotationReader.ExtraText);
        Assert.AreEqual(84, d.Column); // the key "text_1"
    }

    [TestMethod]
    public void TextThatIsNotAString() =>
        Single(Read("""{"video": "ep01/a.mp4", "scene_start": [true], "scene_end": [true], "text_0": null}"""), AnnotationReader.BadText);

    [TestMethod]
    public void OddTextKey() =>
        Single(Read("""{"video": "ep01/a.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x", "text_01": "y"}"""), AnnotationReader.BadText);

    [TestMethod]
    public void NoSegments() =>
        Single(Read("""{"video": "ep01/a.mp4", "scene_start": [], "scene_end": []}"""), AnnotationReader.NoSegments);

    [TestMethod]
    public void VideoNotFound()
    {
        var d = Single(Read(Good.Replace("ep01/a.mp4", "ep01/zz.mp4")), AnnotationReader.VideoNotFound);
        StringAssert.Contains(d.Message, Path.Combine(Episodes, "ep01/zz.mp4"));
    }

    [TestMethod]
    public void DuplicateVideoNamesTheFirstLine()
    {
        var d = Single(Read(Good, Good.Replace("ep01/a.mp4", "./ep01//a.mp4")), AnnotationReader.DuplicateVideo);
        Assert.AreEqual(2, d.Line);
        StringAssert.Contains(d.Message, "line 1");
    }

    [TestMethod]
    public void TwoVideosThatWouldWriteOneLatent()
    {
        File.Copy(Path.Combine(Episodes, "ep01/a.mp4"), Path.Combine(Episodes, "ep01/a.mkv"));
        Single(Read(Good, Good.Replace("ep01/a.mp4", "ep01/a.mkv")), AnnotationReader.DuplicateOutput);
    }

    [TestMethod]
    [DataRow("../outside.mp4")]
    [DataRow("ep01/../../outside.mp4")]
    [DataRow("/etc/passwd")]
    public void PathsEscapingEpisodeDir(string path)
    {
        File.WriteAllBytes(Path.Combine(_dir, "outside.mp4"), new byte[] { 1 });
        Single(Read(Good.Replace("ep01/a.mp4", path)), AnnotationReader.PathOutsideEpisodeDir);
    }

    [TestMethod]
    public void SymbolicLinkLeavingEpisodeDir()
    {
        File.WriteAllBytes(Path.Combine(_dir, "outside.mp4"), new byte[] { 1 });
        File.CreateSymbolicLink(Path.Combine(Episodes, "ep01/link.mp4"), Path.Combine(_dir, "outside.mp4"));
        var d = Single(Read(Good.Replace("ep01/a.mp4", "ep01/link.mp4")), AnnotationReader.PathOutsideEpisodeDir);
        StringAssert.Contains(d.Message, "symbolic link");
    }

    [TestMethod]
    public void InvalidUtf8PointsAtTheByte()
    {
        var bytes = Encoding.UTF8.GetBytes(Good.Replace("\"A\"", "\"A?\"")).ToList();
        int at = bytes.IndexOf((byte)'?');
        bytes[at] = 0xFF;
        File.WriteAllBytes(File1, bytes.ToArray());
        var d = Single(AnnotationReader.Read(File1, Episodes), AnnotationReader.InvalidUtf8);
        Assert.AreEqual(at + 1, d.Column);
    }

    [TestMethod]
    public void BomAndCrlfAreAccepted()
    {
        File.WriteAllBytes(File1, new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Good + "\r\n" + Good.Replace("ep01/a.mp4", "ep01/b.mp4") + "\r\n")).ToArray());
        var set = AnnotationReader.Read(File1, Episodes);
        Assert.IsEmpty(set.Diagnostics);
        Assert.HasCount(2, set.Entries);
        Assert.AreEqual("C", set.Entries[1].Texts[2]);
    }

    [TestMethod]
    public void DuplicateKeys()
    {
        var d = Single(Read("""{"video": "ep01/a.mp4", "video": "ep01/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}"""), AnnotationReader.DuplicateKey);
        Assert.AreEqual(25, d.Column); // the second "video" key
    }

    [TestMethod]
    public void MissingAnnotationFile()
    {
        var set = AnnotationReader.Read(Path.Combine(_dir, "nope.jsonl"), Episodes);
        Assert.AreEqual(AnnotationReader.FileMissing, set.Diagnostics.Single().Code);
    }

    [TestMethod]
    public void UnicodeTextsAreKeptExactly()
    {
        var set = Read("""{"video": "ep01/a.mp4", "scene_start": [false], "scene_end": [false], "text_0": "Ünïcødé \u00e9 日本 🎬 \"quoted\" \\ back"}""");
        Assert.AreEqual("Ünïcødé é 日本 🎬 \"quoted\" \\ back", set.Entries.Single().Texts[0]);
    }
}
