using System.Text.Json;
using System.Text.RegularExpressions;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Text;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.EndToEnd;

/// <summary>
/// The dataset report as a user gets it: a real `dotnet build` with the report on, the page opened
/// from disk in headless Chromium and checked on what it rendered; and its incrementality.
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public class DatasetReportTests
{
    public TestContext TestContext { get; set; } = null!;

    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    static string ReportIndex(DatasetProject p) => Path.Combine(p.DatasetDir, "report", "index.html");

    /// <summary>Every file under the dataset folder (report included) with its size and time.</summary>
    static Dictionary<string, (long, DateTime)> Snapshot(DatasetProject p) =>
        Directory.EnumerateFiles(p.DatasetDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(p.DatasetDir, f).Replace('\\', '/'), f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));

    static List<string> Changed(Dictionary<string, (long, DateTime)> before, Dictionary<string, (long, DateTime)> after) =>
        after.Where(kv => !before.TryGetValue(kv.Key, out var v) || v != kv.Value).Select(kv => kv.Key)
            .Concat(before.Keys.Where(k => !after.ContainsKey(k))).OrderBy(k => k, StringComparer.Ordinal).ToList();

    [TestMethod]
    public void TheSampleReportRendersEveryLineItsPicturesScenesTokensAndTheTruncation()
    {
        using var p = new DatasetProject("report").WithSample();
        p.Properties["DatasetReport"] = "true";
        p.WriteProject();
        // A deliberately long text on a segment that ends its scene: cut, <end_scene> lost.
        var lines = File.ReadAllLines(p.AnnotationFile);
        string longText = string.Concat(Enumerable.Repeat("The triangles keep falling in a long and winding sentence. ", 60));
        lines[4] = lines[4].Replace("The triangles keep falling, then the pattern gives way to colour.", longText);
        File.WriteAllLines(p.AnnotationFile, lines);

        var build = p.Build();
        AssertBuilt(build);
        int column = lines[4].IndexOf("\"" + longText[..20], StringComparison.Ordinal) + 1;
        StringAssert.Contains(build.Output, $"annotations.jsonl(5,{column}): warning VDS1101: \"text_1\" of 'ep02/seq_0001.mp4' is ");
        StringAssert.Contains(build.Output, "including <end_scene>");
        // Logged once (the report reuses the build's check), not counting MSBuild's closing recap.
        string log = build.Output[..build.Output.IndexOf("Build succeeded.", StringComparison.Ordinal)];
        Assert.AreEqual(1, Regex.Matches(log, "warning VDS1101").Count, "the warning is logged once per build:\n" + build.Output);

        string index = ReportIndex(p);
        Assert.IsTrue(File.Exists(index), build.Output);
        string html = File.ReadAllText(index);
        StringAssert.DoesNotMatch(html, new Regex("(src|href)=\"(https?:)?//"), "the report must open with no network");

        string dom = Chromium.DumpDom(index);
        string png = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), "sample-report.png");
        Directory.CreateDirectory(Path.GetDirectoryName(png)!);
        Chromium.Screenshot(index, png);
        TestContext.AddResultFile(png);
        Assert.IsGreaterThan(20_000, new FileInfo(png).Length, "the screenshot is (nearly) blank");

        // One row per manifest line, in the manifests' videos.
        var manifestVideos = Directory.GetFiles(p.DatasetDir, "manifest-*.jsonl").SelectMany(File.ReadAllLines)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("video").GetString()!).ToList();
        Assert.HasCount(5, manifestVideos);
        var rows = Regex.Matches(dom, "<section class=\"row[^\"]*\" id=\"line-\\d+\" data-video=\"([^\"]+)\"[^>]*>(.*?)</section>", RegexOptions.Singleline);
        CollectionAssert.AreEquivalent(manifestVideos, rows.Select(m => m.Groups[1].Value).ToList());

        // Every thumbnail loaded: the page's own script checked naturalWidth > 0 of each.
        int segments = 1 + 1 + 3 + 1 + 3;
        StringAssert.Matches(dom, new Regex($"<body[^>]* data-images=\"loaded\" data-image-count=\"{segments}\""));

        // Scene marks where the annotations put them, token counts equal to the tokenizer's.
        var entries = AnnotationReader.Read(p.AnnotationFile, p.EpisodeDir).Entries.ToDictionary(e => e.Video);
        var tokenizer = T5Tokenizer.Load(Path.Combine(p.Dir, "obj", "VideoDataset", "tiny-model", "v1", "tokenizer"));
        int truncations = 0;
        foreach (Match row in rows)
        {
            var e = entries[row.Groups[1].Value];
            var segs = Regex.Matches(row.Groups[2].Value,
                "<div class=\"seg[^\"]*\" data-segment=\"(\\d+)\" data-scene-start=\"(true|false)\" data-scene-end=\"(true|false)\">(.*?)(?=<div class=\"seg|$)", RegexOptions.Singleline);
            Assert.HasCount(e.Segments, segs, e.Video);
            for (int i = 0; i < e.Segments; i++)
            {
                var g = segs[i].Groups;
                Assert.AreEqual(i.ToString(), g[1].Value);
                Assert.AreEqual(e.SceneStart[i], g[2].Value == "true", $"{e.Video} segment {i} scene start");
                Assert.AreEqual(e.SceneEnd[i], g[3].Value == "true", $"{e.Video} segment {i} scene end");
                Assert.AreEqual(e.SceneStart[i], g[4].Value.Contains("class=\"mark start\""), $"{e.Video} segment {i} start mark");
                Assert.AreEqual(e.SceneEnd[i], g[4].Value.Contains("class=\"mark end\""), $"{e.Video} segment {i} end mark");
                int expected = tokenizer.EncodeUnpadded(e.EncodedText(i)).Length;
                Assert.AreEqual(expected.ToString(), Regex.Match(g[4].Value, "data-tokens=\"(\\d+)\"").Groups[1].Value, $"{e.Video} segment {i} tokens");
                var trunc = Regex.Match(g[4].Value, "class=\"trunc\" data-cut=\"(\\d+)\" data-end-scene-cut=\"(true|false)\"");
                Assert.AreEqual(expected > 498, trunc.Success, $"{e.Video} segment {i} truncation flag");
                if (trunc.Success)
                {
                    truncations++;
                    Assert.AreEqual((expected - 498).ToString(), trunc.Groups[1].Value);
                    Assert.AreEqual("true", trunc.Groups[2].Value);
                }
            }
        }
        Assert.AreEqual(1, truncations);
        StringAssert.Contains(dom, "id=\"truncated-count\">1<");
        StringAssert.Contains(dom, "data-count=\"0\">Stale or missing now: none");
    }

    [TestMethod]
    public void ANoOpBuildWithTheReportWritesNothingAndAnEditRedoesNoThumbnail()
    {
        using var p = Clips.SmallDataset("report-noop");
        p.Properties["DatasetReport"] = "true";
        p.WriteProject();
        var first = p.Build();
        AssertBuilt(first);
        var before = Snapshot(p);
        var thumbs = before.Keys.Where(k => k.StartsWith("report/thumbs/", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1 + 1 + 3, thumbs);
        Assert.IsTrue(before.ContainsKey("report/index.html"));

        var again = p.Build();
        AssertBuilt(again);
        StringAssert.Contains(again.Output, "(0 pages and 0 thumbnails written, 0 removed)");
        Assert.IsEmpty(Changed(before, Snapshot(p)));

        // The report alone, after its index was deleted: that page comes back, nothing else is written.
        File.Delete(Path.Combine(p.DatasetDir, "report", "index.html"));
        AssertBuilt(p.Build("-t:DatasetReport"));
        CollectionAssert.AreEqual(new[] { "report/index.html" }, Changed(before, Snapshot(p)));
        before = Snapshot(p);

        // An edited text: its embedding, the 9-s manifest and the pages that show it change; no thumbnail is redone.
        File.WriteAllText(p.AnnotationFile, string.Join("\n", Clips.AnnotationLines).Replace("The clock keeps turning.", "The clock slows down.") + "\n");
        AssertBuilt(p.Build());
        var changed = Changed(before, Snapshot(p));
        Assert.IsEmpty(changed.Where(k => k.StartsWith("report/thumbs/", StringComparison.Ordinal)).ToList(), string.Join("\n", changed));
        CollectionAssert.IsSubsetOf(new[] { "report/index.html", "manifest-9s.jsonl" }, changed);
        Assert.HasCount(1, changed.Where(k => k.StartsWith("report/episodes/", StringComparison.Ordinal)).ToList(), string.Join("\n", changed));

        // The warnings are CI-usable: -warnaserror:VDS1102 fails a build with an empty text.
        File.WriteAllText(p.AnnotationFile, string.Join("\n", Clips.AnnotationLines).Replace("A fractal zooms in.", " ") + "\n");
        var strict = p.Build("-warnaserror:VDS1102");
        Assert.AreNotEqual(0, strict.ExitCode, strict.Output);
        StringAssert.Contains(strict.Output, "annotations.jsonl(2,");
        StringAssert.Contains(strict.Output, "error VDS1102: \"text_0\" of 'ep01/b.mp4' is only whitespace");
    }

    [TestMethod]
    public void WithASceneFileEachEpisodePageShowsItsRawTimelineLinkedToItsRows()
    {
        using var p = new DatasetProject("report-scenes");
        p.Properties["FrameWidth"] = Clips.Width.ToString();
        p.Properties["FrameHeight"] = Clips.Height.ToString();
        p.Properties["RawEpisodeDir"] = "raw/";
        p.Properties["SceneFile"] = "scenes.jsonl";
        p.Properties["CaptionFile"] = "captions.jsonl";
        p.Properties["SequenceSeconds"] = "3;6";
        p.Properties["DatasetReport"] = "true";
        p.WriteProject();
        var r = Repo.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=16", "-frames:v", "224", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", Path.Combine(Directory.CreateDirectory(Path.Combine(p.Dir, "raw")).FullName, "ep01.mp4"));
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        // 6.4 s -> 2 segments (0.2 s cropped at each end), 2.6 s -> 1 padded, 0.5 s dropped, 4.4 s -> 1 segment.
        File.WriteAllText(Path.Combine(p.Dir, "scenes.jsonl"), """
            {"video": "ep01.mp4", "start": 0, "end": 6.4}
            {"video": "ep01.mp4", "start": 6.4, "end": 9}
            {"video": "ep01.mp4", "start": 9, "end": 9.5}
            {"video": "ep01.mp4", "start": 9.5, "end": 13.9}

            """);
        string[] ids = ["ep01/scene000_seg00", "ep01/scene000_seg01", "ep01/scene001_seg00", "ep01/scene003_seg00"];
        File.WriteAllText(Path.Combine(p.Dir, "captions.jsonl"), string.Concat(ids.Select((id, i) => $"{{\"segment\": \"{id}\", \"text\": \"Caption {i}.\"}}\n")));
        var build = p.Build();
        AssertBuilt(build);

        string page = Path.Combine(p.DatasetDir, "report", VideoDataset.Core.Report.ReportHtml.EpisodePage("ep01"));
        Assert.IsTrue(File.Exists(page), build.Output);
        string dom = Chromium.DumpDom(page);
        StringAssert.Contains(dom, "data-images=\"loaded\" data-image-count=\"8\""); // 4 three-second + 2 six-second sequences
        var svg = Regex.Match(dom, "<svg class=\"timeline\"[^>]*data-episode=\"ep01\".*?</svg>", RegexOptions.Singleline);
        Assert.IsTrue(svg.Success, "no timeline on the episode page");
        Assert.AreEqual(2, Regex.Matches(svg.Value, "class=\"scene kept\"").Count);
        Assert.AreEqual(1, Regex.Matches(svg.Value, "class=\"scene padded\"").Count);
        Assert.AreEqual(1, Regex.Matches(svg.Value, "class=\"scene dropped\"").Count);
        StringAssert.Contains(svg.Value, "crop removes 0.2 s at the start and 0.2 s at the end");
        Assert.AreEqual(4, Regex.Matches(svg.Value, "class=\"segment\"").Count);
        // Every sequence links to its row on the page, and every row is linked.
        var links = Regex.Matches(svg.Value, "<a href=\"#(line-\\d+)\">").Select(m => m.Groups[1].Value).ToList();
        var rows = Regex.Matches(dom, "<section class=\"row[^\"]*\" id=\"(line-\\d+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.HasCount(6, rows);
        CollectionAssert.AreEquivalent(rows, links);
    }
}
