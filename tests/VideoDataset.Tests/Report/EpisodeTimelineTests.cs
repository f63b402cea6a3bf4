using System.Text.RegularExpressions;
using VideoDataset.Core.Report;

namespace VideoDataset.Tests.Report;

[TestClass]
[TestCategory("Unit")]
public class EpisodeTimelineTests
{
    [TestMethod]
    public void ScenesAreCroppedPaddedOrDroppedAndSequencesFollowTheSegmentRules()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vds-timeline-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "raw", "show"));
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "raw", "show", "ep01.mkv"), [1]);
            string scenes = Path.Combine(dir, "scenes.jsonl");
            File.WriteAllLines(scenes,
            [
                """{"video": "show/ep01.mkv", "start": 0, "end": 10}""",     // kept: 9 s, 0.5 s cut at each end
                """{"video": "show/ep01.mkv", "start": 10, "end": 11.5}""", // dropped: under 2 s
                """{"video": "show/ep01.mkv", "start": 11.5, "end": 14}""", // padded: one segment
                """{"video": "show/ep01.mkv", "start": 14, "end": 20}""",   // kept: 2 segments, no cut
            ]);
            var timelines = EpisodeTimeline.Read(scenes, Path.Combine(dir, "raw"), [3, 9], 3, _ => 21.0);
            var t = timelines["show/ep01"];
            CollectionAssert.AreEqual(new[] { SceneFate.Kept, SceneFate.Dropped, SceneFate.Padded, SceneFate.Kept }, t.Scenes.Select(s => s.Fate).ToArray());
            Assert.AreEqual(0.5, t.Scenes[0].KeptStart, 1e-9);
            Assert.AreEqual(9.5, t.Scenes[0].KeptEnd, 1e-9);
            CollectionAssert.AreEqual(new[] { 0.5, 3.5, 6.5, 11.5, 14, 17 }, t.SegmentStarts.ToArray());
            Assert.AreEqual(6, t.Sequences.Count(q => q.Seconds == 3));
            var nine = t.Sequences.Where(q => q.Seconds == 9).ToList();
            Assert.HasCount(2, nine);
            Assert.AreEqual("show/ep01/9s_0001.mp4", nine[1].Video);
            CollectionAssert.AreEqual(new[] { 11.5, 14, 17 }, nine[1].SegmentStarts.ToArray());

            // Sequences with an annotation line link to their row; the others are grey.
            string svg = t.ToSvg(v => v == "show/ep01/9s_0001.mp4" ? 7 : null);
            Assert.AreEqual(1, Regex.Matches(svg, "<a href=\"#line-7\">").Count);
            Assert.AreEqual(6 + 6, Regex.Matches(svg, "class=\"sequence\"").Count); // 6 three-second, 2x3 nine-second
            Assert.AreEqual(6, Regex.Matches(svg, "class=\"segment\"").Count);
            StringAssert.Contains(svg, "crop removes 0.5 s at the start and 0.5 s at the end");
            StringAssert.Contains(svg, "dropped (under 2 s)");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
