using System.Text.Json;
using VideoDataset.Tests.EndToEnd;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Segments;

/// <summary>
/// Real `dotnet build` of a dataset project that starts from raw episodes, a scene file and a
/// caption file (PrepareSegments), through the tiny models, to manifests; and incrementality:
/// moving one scene boundary rewrites only the sequences holding that scene's segments.
/// </summary>
[TestClass]
[TestCategory("EndToEnd")]
public sealed class PrepareSegmentsBuildTests
{
    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    static Dictionary<string, DateTime> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.GetLastWriteTimeUtc);

    static string[] Changed(Dictionary<string, DateTime> before, Dictionary<string, DateTime> after) =>
        after.Where(kv => !before.TryGetValue(kv.Key, out var t) || t != kv.Value).Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal).ToArray();

    // ep01 (14 s, 25 fps, counter frames): 6.4 s -> 2 segments, 2.6 s -> 1 padded, 0.5 s dropped, 4.4 s -> 1.
    // show/ep02 (7 s, 30 fps, 2:1 frames): 6.3 s -> 2 segments.
    static string Scenes(string lastEnd = "13.9") => $$"""
        {"video": "ep01.mkv", "start": 0, "end": "00:00:06.400"}
        {"video": "ep01.mkv", "start": 6.4, "end": 9}
        {"video": "ep01.mkv", "start": 9, "end": 9.5}
        {"video": "ep01.mkv", "start": 9.5, "end": {{lastEnd}}}
        {"video": "show/ep02.mp4", "start": "0.5", "end": "0:06.8"}

        """;

    static readonly string[] SegmentIds =
        ["ep01/scene000_seg00", "ep01/scene000_seg01", "ep01/scene001_seg00", "ep01/scene003_seg00", "show/ep02/scene000_seg00", "show/ep02/scene000_seg01"];

    internal static DatasetProject Project(string name)
    {
        var p = new DatasetProject(name);
        p.Properties["FrameWidth"] = Clips.Width.ToString();
        p.Properties["FrameHeight"] = Clips.Height.ToString();
        p.Properties["RawEpisodeDir"] = "raw/";
        p.Properties["SceneFile"] = "scenes.jsonl";
        p.Properties["CaptionFile"] = "captions.jsonl";
        p.Properties["SequenceSeconds"] = "3;6";
        p.WriteProject();
        CounterVideo.Make(Path.Combine(p.Dir, "raw/ep01.mkv"), 350);
        var r = Repo.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x48:rate=30", "-frames:v", "210", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", Path.Combine(Directory.CreateDirectory(Path.Combine(p.Dir, "raw/show")).FullName, "ep02.mp4"));
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        File.WriteAllText(Path.Combine(p.Dir, "scenes.jsonl"), Scenes());
        File.WriteAllText(Path.Combine(p.Dir, "captions.jsonl"),
            string.Concat(SegmentIds.Select((id, i) => $"{{\"segment\": \"{id}\", \"text\": \"Caption number {i}.\"}}\n")));
        return p;
    }

    [TestMethod]
    public void RawVideoToManifestsAndOneMovedBoundaryRebuildsOnlyWhatItTouches()
    {
        using var p = Project("segments");
        var first = p.Build();
        AssertBuilt(first);
        StringAssert.Contains(first.Output, "9 sequences from the scenes (9 captioned, 9 to write), 1 scenes dropped");
        StringAssert.Contains(first.Output, "warning VDS6020");
        StringAssert.Contains(first.Output, "9 videos (9 to encode)");

        // The annotation file in the seed format, and the videos it names.
        var lines = File.ReadAllLines(p.AnnotationFile).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        CollectionAssert.AreEqual(new[]
        {
            "ep01/3s_0000.mp4", "ep01/3s_0001.mp4", "ep01/3s_0002.mp4", "ep01/3s_0003.mp4", "ep01/6s_0000.mp4", "ep01/6s_0001.mp4",
            "show/ep02/3s_0000.mp4", "show/ep02/3s_0001.mp4", "show/ep02/6s_0000.mp4",
        }, lines.Select(l => l.GetProperty("video").GetString()).ToArray());
        Assert.AreEqual("[true,false]", lines[4].GetProperty("scene_start").GetRawText());
        Assert.AreEqual("[false,true]", lines[4].GetProperty("scene_end").GetRawText());
        Assert.AreEqual("[true,true]", lines[5].GetProperty("scene_start").GetRawText()); // padded scene 1, then scene 3
        Assert.AreEqual("Caption number 3.", lines[5].GetProperty("text_1").GetString());
        Assert.AreEqual((97, "16/1", 64, 48), CounterVideo.Probe(Path.Combine(p.EpisodeDir, "ep01/6s_0000.mp4")));
        Assert.AreEqual((49, "16/1", 64, 48), CounterVideo.Probe(Path.Combine(p.EpisodeDir, "show/ep02/3s_0001.mp4")));
        var shown = CounterVideo.Read(Path.Combine(p.EpisodeDir, "ep01/6s_0001.mp4"), 64, 48);
        Assert.AreEqual(160, shown[0]); // the padded scene starts at 6.4 s
        Assert.AreEqual(224, shown[47]); // its last frame (8.96 s), repeated from 9 s on
        Assert.AreEqual(255, shown[48]); // scene 3's segment starts at 10.2 s (4.4 s centred on 3 s)

        // Manifests from raw video, loaded as the trainer does.
        var check = Repo.Python("e2e_check_dataset.py", p.DatasetDir, "48", "64", "64", "498");
        Assert.AreEqual(0, check.ExitCode, check.ToString());
        var summary = JsonDocument.Parse(check.Output.Trim().Split('\n')[^1]).RootElement;
        Assert.AreEqual(9, summary.GetProperty("latents").GetInt32());
        Assert.AreEqual(6, summary.GetProperty("manifests").GetProperty("manifest-3s.jsonl").GetArrayLength());
        Assert.AreEqual(3, summary.GetProperty("manifests").GetProperty("manifest-6s.jsonl").GetArrayLength());

        // Nothing to do: nothing written, no worker started.
        var episodesBefore = Files(p.EpisodeDir);
        var datasetBefore = p.Snapshot();
        DateTime annotationTime = File.GetLastWriteTimeUtc(p.AnnotationFile);
        var again = p.Build();
        AssertBuilt(again);
        StringAssert.Contains(again.Output, "(9 captioned, 0 to write)");
        Assert.DoesNotContain("segments: ", again.Output);
        Assert.IsEmpty(Changed(episodesBefore, Files(p.EpisodeDir)));
        Assert.IsEmpty(Changed(datasetBefore, p.Snapshot()));
        Assert.AreEqual(annotationTime, File.GetLastWriteTimeUtc(p.AnnotationFile));

        AssertBuilt(p.Build("-t:VerifyDataset"));

        // Scene 3 now ends at 13.7 s: its one segment starts at 10.1 s. Only the two sequences holding it change;
        // the annotation file's content is the same, so it is not rewritten, and neither are the manifests.
        File.WriteAllText(Path.Combine(p.Dir, "scenes.jsonl"), Scenes("13.7"));
        var verify = p.Build("-t:VerifyDataset");
        Assert.AreNotEqual(0, verify.ExitCode, verify.ToString());
        StringAssert.Contains(verify.Output, Path.Combine(p.EpisodeDir, "ep01/3s_0003.mp4") + " : error VDS5103");
        StringAssert.Contains(verify.Output, Path.Combine(p.EpisodeDir, "ep01/6s_0001.mp4") + " : error VDS5103");
        var stale = System.Text.RegularExpressions.Regex.Matches(verify.Output, @"(/\S+) : error VDS5103").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.HasCount(2, stale, verify.Output); // exactly those two, nothing else
        Assert.IsEmpty(Changed(episodesBefore, Files(p.EpisodeDir)), "verification changed nothing");
        var moved = p.Build();
        AssertBuilt(moved);
        StringAssert.Contains(moved.Output, "(9 captioned, 2 to write)");
        CollectionAssert.AreEqual(new[] { "ep01/3s_0003.mp4", "ep01/6s_0001.mp4" }, Changed(episodesBefore, Files(p.EpisodeDir)));
        CollectionAssert.AreEqual(new[] { "latents/ep01/3s_0003.pt", "latents/ep01/6s_0001.pt" }, Changed(datasetBefore, p.Snapshot()));
        Assert.AreEqual(annotationTime, File.GetLastWriteTimeUtc(p.AnnotationFile));
        Assert.AreEqual(252, CounterVideo.Read(Path.Combine(p.EpisodeDir, "ep01/3s_0003.mp4"), 64, 48)[0]); // 10.1 s -> frame 252
    }

    [TestMethod]
    public void QuestionModeSeesStaleScenesAndSequencesNoLongerMadeAreRemovedAsIsEverythingOnClean()
    {
        using var p = Project("segment-question");
        AssertBuilt(p.Build());
        AssertBuilt(p.Build("-question"));

        // Scene 0 of ep01 now lasts 5 s: one segment (from 1 s) instead of two, so ep01 has 3 segments and
        // every ep01 sequence changes (3s_0000..0002, 6s_0000); 3s_0003 and 6s_0001 are made no more.
        File.WriteAllText(Path.Combine(p.Dir, "scenes.jsonl"), Scenes().Replace("00:00:06.400", "5").Replace("\"start\": 6.4", "\"start\": 5"));
        var before = Files(p.EpisodeDir);
        var question = p.Build("-question");
        Assert.AreNotEqual(0, question.ExitCode);
        StringAssert.Contains(question.Output, "error VDS5020: Stale: 4 sequence videos would be written.");
        Assert.IsEmpty(Changed(before, Files(p.EpisodeDir)));
        Assert.HasCount(before.Count, Files(p.EpisodeDir));

        string leftover = Path.Combine(p.EpisodeDir, "ep01/3s_0000.mp4.vdstmp-killed");
        File.WriteAllText(leftover, "half a video from a killed build");
        var r = p.Build();
        AssertBuilt(r);
        StringAssert.Contains(r.Output, "warning VDS6015"); // the caption of scene000_seg01 is unused now
        Assert.IsFalse(File.Exists(leftover));
        CollectionAssert.AreEquivalent(new[]
        {
            "ep01/3s_0000.mp4", "ep01/3s_0001.mp4", "ep01/3s_0002.mp4", "ep01/6s_0000.mp4",
            "show/ep02/3s_0000.mp4", "show/ep02/3s_0001.mp4", "show/ep02/6s_0000.mp4",
        }, Files(p.EpisodeDir).Keys.ToArray());
        Assert.HasCount(7, File.ReadAllLines(p.AnnotationFile));

        AssertBuilt(p.Build("-t:Clean"));
        Assert.IsEmpty(Files(p.EpisodeDir));
        Assert.IsFalse(File.Exists(p.AnnotationFile));
        Assert.IsTrue(File.Exists(Path.Combine(p.Dir, "raw/ep01.mkv")));
    }

    [TestMethod]
    public void SceneErrorsFailTheBuildInCanonicalFormAndAMissingCaptionDropsOnlyItsSequences()
    {
        using var p = Project("segment-errors");
        string late = """{"video": "show/ep02.mp4", "start": 6.9, "end": 7.5}""";
        File.WriteAllText(Path.Combine(p.Dir, "scenes.jsonl"), Scenes() + late + "\n");
        File.WriteAllText(Path.Combine(p.Dir, "captions.jsonl"),
            string.Concat(SegmentIds.Where(id => id != "ep01/scene001_seg00").Select(id => $"{{\"segment\": \"{id}\", \"text\": \"{id}\"}}\n")));
        var r = p.Build();
        Assert.AreNotEqual(0, r.ExitCode);
        // Line 6 ends past the 7-s video (its real duration, from ffprobe): the episode is left out.
        StringAssert.Contains(r.Output, Path.Combine(p.Dir, "scenes.jsonl") + $"(6,{late.IndexOf("7.5", StringComparison.Ordinal) + 1}): error VDS6008: The scene ends at 7.5 s, past the end of 'show/ep02.mp4' (7 s).");
        StringAssert.Contains(r.Output, "warning VDS6021");
        // ep01 still builds, minus the sequences holding the uncaptioned segment.
        CollectionAssert.AreEqual(new[] { "ep01/3s_0000.mp4", "ep01/3s_0001.mp4", "ep01/3s_0003.mp4", "ep01/6s_0000.mp4" },
            File.ReadAllLines(p.AnnotationFile).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("video").GetString()).ToArray());
        Assert.IsFalse(File.Exists(Path.Combine(p.EpisodeDir, "ep01/3s_0002.mp4")));
        Assert.HasCount(4, Directory.GetFiles(Path.Combine(p.DatasetDir, "latents"), "*.pt", SearchOption.AllDirectories));
    }
}
