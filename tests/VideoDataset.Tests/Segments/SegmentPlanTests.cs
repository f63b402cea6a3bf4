using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Segments;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Segments;

/// <summary>The crop arithmetic, the scene and caption files' checks, sequence grouping and flags, without ffmpeg.</summary>
[TestClass]
[TestCategory("Unit")]
public sealed class SegmentPlanTests
{
    string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "vds-segplan-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_dir, "raw"));
        File.WriteAllText(Path.Combine(_dir, "raw/ep01.mkv"), "not read: durations come from the test");
        File.WriteAllText(Path.Combine(_dir, "raw/ep02.mp4"), "x");
        File.WriteAllText(Path.Combine(_dir, "raw/ep04.mkv"), "x");
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    SegmentPlan Plan(string scenes, string captions, string lengths = "3;9", double duration = 60)
    {
        File.WriteAllText(Path.Combine(_dir, "scenes.jsonl"), scenes);
        File.WriteAllText(Path.Combine(_dir, "captions.jsonl"), captions);
        var diagnostics = new List<Diagnostic>();
        var s = TestSettings.Create(_dir) with
        {
            RawEpisodeDir = Path.Combine(_dir, "raw"), SceneFile = Path.Combine(_dir, "scenes.jsonl"), CaptionFile = Path.Combine(_dir, "captions.jsonl"),
            EpisodeDir = Path.Combine(_dir, "episodes"), AnnotationFile = Path.Combine(_dir, "annotations.jsonl"), FrameWidth = 64, FrameHeight = 48,
        };
        var lengthList = SegmentPlan.ParseSequenceSeconds(lengths, 3, "p.proj", diagnostics);
        Assert.IsEmpty(diagnostics);
        return SegmentPlan.Create(s, lengthList, p => "sha-of-" + Path.GetFileName(p), _ => duration);
    }

    static string Captions(params string[] ids) => string.Concat(ids.Select(id => $"{{\"segment\": \"{id}\", \"text\": \"caption of {id}\"}}\n"));

    [TestMethod]
    public void CropKeepsWholeSegmentsCentredAndHandlesTheTwoAndThreeSecondEdges()
    {
        CollectionAssert.AreEqual(new[] { 0.5, 3.5, 6.5 }, SegmentPlan.SegmentStarts(0, 10, 3).ToArray()); // 10 s loses 0.5 s at each end
        CollectionAssert.AreEqual(new[] { 12.0, 15.0, 18.0 }, SegmentPlan.SegmentStarts(12, 21, 3).ToArray()); // exact multiple: nothing lost
        CollectionAssert.AreEqual(new[] { 2.45 }, SegmentPlan.SegmentStarts(1, 6.9, 3).ToArray()); // 5.9 s keeps 3 s centred
        CollectionAssert.AreEqual(new[] { 4.0 }, SegmentPlan.SegmentStarts(4, 7, 3).ToArray()); // exactly 3 s
        CollectionAssert.AreEqual(new[] { 4.0 }, SegmentPlan.SegmentStarts(4, 6.999, 3).ToArray()); // just under 3 s: padded, from the start
        CollectionAssert.AreEqual(new[] { 4.0 }, SegmentPlan.SegmentStarts(4, 6, 3).ToArray()); // exactly 2 s: padded
        Assert.IsEmpty(SegmentPlan.SegmentStarts(4, 5.99, 3)); // under 2 s: dropped
    }

    [TestMethod]
    public void ScenesBecomeSegmentsAndSequencesWithFlagsFromSceneMembership()
    {
        // Scene 0: 6.4 s -> 2 segments; scene 1: 2.6 s -> 1 padded; scene 2: 0.5 s dropped; scene 3: 4.4 s -> 1.
        string scenes = """
            {"video": "ep01.mkv", "start": 0, "end": "00:00:06.400"}
            {"video": "ep01.mkv", "start": "6.4", "end": 9}
            {"video": "ep01.mkv", "start": 9, "end": 9.5}
            {"video": "ep01.mkv", "start": "0:09.5", "end": "00:13.9"}
            """;
        var plan = Plan(scenes, Captions("ep01/scene000_seg00", "ep01/scene000_seg01", "ep01/scene001_seg00", "ep01/scene003_seg00"), "3;6;9");
        Assert.IsFalse(plan.HasErrors, string.Join("\n", plan.Diagnostics));
        var dropped = plan.Diagnostics.Single(d => d.Code == SegmentPlan.SceneDropped);
        Assert.AreEqual(3, dropped.Line);
        Assert.AreEqual(1, plan.DroppedScenes);

        var q3 = plan.Sequences.Where(q => q.Seconds == 3).ToList();
        CollectionAssert.AreEqual(new[] { "ep01/3s_0000.mp4", "ep01/3s_0001.mp4", "ep01/3s_0002.mp4", "ep01/3s_0003.mp4" }, q3.Select(q => q.Video).ToArray());
        CollectionAssert.AreEqual(new[] { 0.2, 3.2, 6.4, 10.2 }, q3.Select(q => q.Segments[0].Start).ToArray());
        CollectionAssert.AreEqual(new[] { false, false, true, false }, q3.Select(q => q.Segments[0].Padded).ToArray());
        // Two 6-s sequences (segments 0-1 and 2-3); 9 s needs 3 of the 4 segments: one sequence, the rest left over.
        var q6 = plan.Sequences.Where(q => q.Seconds == 6).ToList();
        Assert.HasCount(2, q6);
        CollectionAssert.AreEqual(new[] { "ep01/scene001_seg00", "ep01/scene003_seg00" }, q6[1].Segments.Select(g => g.Id).ToArray());
        var q9 = plan.Sequences.Single(q => q.Seconds == 9);
        CollectionAssert.AreEqual(new[] { true, false, true }, q9.Segments.Select(g => g.IsSceneStart).ToArray());
        CollectionAssert.AreEqual(new[] { false, true, true }, q9.Segments.Select(g => g.IsSceneEnd).ToArray());

        // The annotation lines in the seed format, episode then length then index.
        var lines = plan.AnnotationContent(_ => true).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(7, lines);
        var nine = JsonDocument.Parse(lines[6]).RootElement;
        Assert.AreEqual("ep01/9s_0000.mp4", nine.GetProperty("video").GetString());
        Assert.AreEqual("[true,false,true]", nine.GetProperty("scene_start").GetRawText());
        Assert.AreEqual("[false,true,true]", nine.GetProperty("scene_end").GetRawText());
        Assert.AreEqual("caption of ep01/scene001_seg00", nine.GetProperty("text_2").GetString());
        Assert.IsFalse(nine.TryGetProperty("text_3", out _));
    }

    [TestMethod]
    public void ASegmentWithoutCaptionIsReportedAndItsSequencesGetNoLine()
    {
        string scenes = """
            {"video": "ep01.mkv", "start": 0, "end": 9}
            """;
        var plan = Plan(scenes, Captions("ep01/scene000_seg00", "ep01/scene000_seg02", "ep01/scene007_seg00"));
        var missing = plan.Diagnostics.Single(d => d.Code == SegmentPlan.MissingCaption);
        Assert.AreEqual(Severity.Warning, missing.Severity);
        StringAssert.Contains(missing.Message, "ep01/scene000_seg01");
        var unused = plan.Diagnostics.Single(d => d.Code == CaptionFile.UnknownSegment);
        Assert.AreEqual(3, unused.Line);
        Assert.IsFalse(plan.HasErrors);
        var videos = plan.AnnotationContent(_ => true).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("video").GetString()).ToArray();
        CollectionAssert.AreEqual(new[] { "ep01/3s_0000.mp4", "ep01/3s_0002.mp4" }, videos); // 3s_0001 and 9s_0000 hold the uncaptioned segment
    }

    [TestMethod]
    public void KeysChangeOnlyForSequencesWhoseSegmentsMoved()
    {
        string Scenes(string lastEnd) => $$"""
            {"video": "ep01.mkv", "start": 0, "end": 6}
            {"video": "ep01.mkv", "start": 6, "end": {{lastEnd}}}
            """;
        var ids = Captions("ep01/scene000_seg00", "ep01/scene000_seg01", "ep01/scene001_seg00", "ep01/scene001_seg01");
        var a = Plan(Scenes("12"), ids, "3;6").Sequences.ToDictionary(q => q.Video, q => q.Key);
        var b = Plan(Scenes("12.5"), ids, "3;6").Sequences.ToDictionary(q => q.Video, q => q.Key);
        CollectionAssert.AreEquivalent(a.Keys.ToArray(), b.Keys.ToArray());
        var changed = a.Keys.Where(k => a[k] != b[k]).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "ep01/3s_0002.mp4", "ep01/3s_0003.mp4", "ep01/6s_0001.mp4" }, changed);
    }

    [TestMethod]
    public void BadScenesAreCanonicalErrorsWithLineAndColumn()
    {
        string[] lines =
        {
            """{"video": "ep01.mkv", "start": 10, "end": 20}""",
            """{"video": "ep01.mkv", "start": 15, "end": 25}""",                // overlaps line 1
            """{"video": "ep02.mp4", "start": 10, "end": 20}""",
            """{"video": "ep02.mp4", "start": 2, "end": 5}""",                  // before line 3
            """{"video": "ep03.mkv", "start": 0, "end": 5}""",                  // no such file
            """{"video": "ep04.mkv", "start": "00:61:00", "end": 5}""",         // bad timecode
            """{"video": "ep04.mkv", "start": 8, "end": 7}""",                  // end before start
            """{"video": "ep04.mkv", "start": 8, "end": 9, "stop": 3}""",       // unknown key
            """{"video": "../x.mkv", "start": 0, "end": 3}""",                  // outside RawEpisodeDir
            """{"video": "ep01.mkv", "start": 0, "end": 3""",                   // malformed
        };
        var plan = Plan(string.Join("\n", lines), "");
        string At(int line, string token) => $"{line},{lines[line - 1].IndexOf(token, StringComparison.Ordinal) + 1}";
        string Where(string code) => string.Join(" ", plan.Diagnostics.Where(d => d.Code == code).Select(d => $"{d.Line},{d.Column}"));

        Assert.AreEqual(At(2, "15") + " " + At(4, "2,"), Where(SceneFile.Unordered));
        StringAssert.Contains(plan.Diagnostics.First(d => d.Code == SceneFile.Unordered).Message, "must not overlap");
        StringAssert.Contains(plan.Diagnostics.Last(d => d.Code == SceneFile.Unordered).Message, "out of order");
        Assert.AreEqual(At(5, "\"ep03"), Where(SceneFile.VideoNotFound));
        Assert.AreEqual(At(6, "\"00:61"), Where(SceneFile.BadTime));
        StringAssert.Contains(plan.Diagnostics.Single(d => d.Code == SceneFile.BadTime).Message, "bad timecode \"00:61:00\"");
        Assert.AreEqual(At(7, "7}"), Where(SceneFile.EmptyScene));
        Assert.AreEqual(At(8, "\"stop"), Where(SceneFile.UnknownKey));
        Assert.AreEqual(At(9, "\"../"), Where(SceneFile.BadVideo));
        Assert.AreEqual(10, plan.Diagnostics.Single(d => d.Code == SceneFile.Malformed).Line);
        Assert.IsTrue(plan.Diagnostics.All(d => d.File == Path.Combine(_dir, "scenes.jsonl")), string.Join("\n", plan.Diagnostics));
        Assert.IsEmpty(plan.Sequences); // every video had a bad line
        StringAssert.StartsWith(plan.Diagnostics[0].ToString(), Path.Combine(_dir, "scenes.jsonl") + "(2,");
    }

    [TestMethod]
    public void ACaptionEscapingAnUnpairedSurrogateIsAMalformedLineAtItsValue()
    {
        string bad = """{"segment": "ep01/scene000_seg00", "text": "bad \ud800"}""";
        string file = Path.Combine(_dir, "captions.jsonl");
        File.WriteAllText(file, Captions("ep01/scene000_seg01") + bad + "\n");
        var diagnostics = new List<Diagnostic>();
        var captions = CaptionFile.Read(file, diagnostics);
        var d = diagnostics.Single();
        int column = bad.IndexOf("\"bad", StringComparison.Ordinal) + 1;
        StringAssert.StartsWith(d.ToString(), $"{file}(2,{column}): error {SceneFile.Malformed}: ");
        StringAssert.Contains(d.Message, "unpaired UTF-16 surrogate");
        Assert.AreEqual("ep01/scene000_seg01", captions.Single().Key); // the other line is read
    }

    [TestMethod]
    public void ASceneKeyEscapingAnUnpairedSurrogateIsAMalformedLineAtTheKey()
    {
        string bad = """{"video": "ep01.mkv", "\udc00": 1, "start": 0, "end": 3}""";
        string file = Path.Combine(_dir, "scenes.jsonl");
        File.WriteAllText(file, """{"video": "ep02.mp4", "start": 0, "end": 3}""" + "\n" + bad + "\n");
        var diagnostics = new List<Diagnostic>();
        var scenes = SceneFile.Read(file, Path.Combine(_dir, "raw"), diagnostics);
        var d = diagnostics.Single();
        Assert.AreEqual((SceneFile.Malformed, 2, bad.IndexOf("\"\\udc00", StringComparison.Ordinal) + 1), (d.Code, d.Line, d.Column), d.ToString());
        StringAssert.Contains(d.Message, "unpaired UTF-16 surrogate");
        Assert.AreEqual("ep02.mp4", scenes.Single().Video); // the other line is read
    }

    [TestMethod]
    public void ASceneEndingPastTheVideoIsAnError()
    {
        string line = """{"video": "ep01.mkv", "start": 0, "end": 12.5}""";
        var plan = Plan(line + "\n", Captions("ep01/scene000_seg00"), "3", duration: 12);
        var d = plan.Diagnostics.Single(x => x.Code == SceneFile.PastEnd);
        Assert.AreEqual((1, line.IndexOf("12.5", StringComparison.Ordinal) + 1), (d.Line, d.Column));
        StringAssert.Contains(d.Message, "past the end of 'ep01.mkv' (12 s)");
        Assert.IsEmpty(plan.Sequences);
    }

    [TestMethod]
    public void TimecodesParse()
    {
        double? T(string json) => SceneFile.ParseTime(JsonDocument.Parse(json).RootElement).Seconds;
        Assert.AreEqual(12.5, T("12.5"));
        Assert.AreEqual(12.5, T("\"12.5\""));
        Assert.AreEqual(72.25, T("\"1:12.25\""));
        Assert.AreEqual(3723.5, T("\"01:02:03.500\""));
        Assert.IsNull(T("\"1:2:3:4\""));
        Assert.IsNull(T("\"00:00:75\""));
        Assert.IsNull(T("-1"));
        Assert.IsNull(T("true"));
    }

    [TestMethod]
    public void FrameSelectionPicksTheFrameDisplayedAtEachOutputTimeAndPadsWithTheScenesLastFrame()
    {
        var times = Enumerable.Range(0, 400).Select(k => k / 25.0).ToList();
        // A segment from 0.5 s in a scene ending at 10 s: output frame i shows source frame floor((0.5 + i/16) * 25).
        var frames = FrameSelection.SourceFrames(times, [new SegmentTiming(0.5, 10)], 16, 3);
        Assert.HasCount(49, frames);
        CollectionAssert.AreEqual(Enumerable.Range(0, 49).Select(i => (int)Math.Floor((0.5 + i / 16.0) * 25 + 1e-9)).ToArray(), frames);
        // A padded segment: scene [10.2, 12.7): frames from 12.7 s on repeat frame 317 (12.68 s).
        var padded = FrameSelection.SourceFrames(times, [new SegmentTiming(10.2, 12.7)], 16, 3);
        Assert.AreEqual(255, padded[0]);
        Assert.AreEqual(317, padded[^1]);
        Assert.AreEqual(315, padded[39]); // 12.6375 s
        Assert.AreEqual(9, padded.Count(f => f == 317)); // i = 40..48: 12.7 s and later
        // Two segments: 48 frames of the first, then 49 of the second; the last stops before the scene's end.
        var two = FrameSelection.SourceFrames(times, [new SegmentTiming(0, 3), new SegmentTiming(3, 6)], 16, 3);
        Assert.HasCount(97, two);
        Assert.AreEqual(73, two[47]); // 2.9375 s
        Assert.AreEqual(75, two[48]); // 3 s
        Assert.AreEqual(149, two[96]); // 6 s is the scene's end: its last frame, 5.96 s
    }
}
