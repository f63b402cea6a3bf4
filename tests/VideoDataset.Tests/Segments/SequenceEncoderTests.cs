using VideoDataset.Core.Segments;
using VideoDataset.Core.Worker;

namespace VideoDataset.Tests.Segments;

/// <summary>
/// Real ffmpeg: sequence videos cut from raw videos whose frames show their own index, read back
/// frame by frame, proving which source frames each output holds, its frame count, rate and size.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class SequenceEncoderTests
{
    string _dir = "";

    [TestInitialize]
    public void Init() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "vds-segenc-" + Guid.NewGuid().ToString("N")[..8]));

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>The source frame shown at t in a 25-fps video, before the scene's end (closed form, independent of FrameSelection).</summary>
    static int Expected25(double t, double sceneEnd) => Math.Min((int)Math.Floor(t * 25 + 1e-6), (int)Math.Ceiling(sceneEnd * 25 - 1e-6) - 1);

    [TestMethod]
    public void OutputFramesAreExactlyTheSourceFramesDisplayedAtEachOutputTime()
    {
        string raw = Path.Combine(_dir, "raw/ep01.mkv");
        CounterVideo.Make(raw, 350); // 14 s at 25 fps, 128x96, lossless
        Assert.AreEqual(14.0, SequenceEncoder.Duration(raw), 1e-6);

        // Scenes [0, 10) -> 3 segments from 0.5 s; [10.2, 12.7) -> 1 padded segment; [12.7, 14) dropped.
        var segments = SegmentPlan.SegmentStarts(0, 10, 3).Select(s => new SegmentTiming(s, 10))
            .Concat(SegmentPlan.SegmentStarts(10.2, 12.7, 3).Select(s => new SegmentTiming(s, 12.7))).ToList();
        Assert.IsEmpty(SegmentPlan.SegmentStarts(12.7, 14, 3));
        Assert.HasCount(4, segments);
        var jobs = new List<WorkItem>
        {
            new() { Input = raw, Output = Path.Combine(_dir, "out/ep01/12s_0000.mp4"), Key = "key-12", Timings = segments },
            new() { Input = raw, Output = Path.Combine(_dir, "out/ep01/3s_0003.mp4"), Key = "key-3", Timings = [segments[3]] },
            new() { Input = raw, Output = Path.Combine(_dir, "out/ep01/3s_0000.mp4"), Key = "key-0", Timings = [segments[0]] },
        };
        var done = new List<string>();
        SequenceEncoder.Encode(raw, jobs, 16, 3, 64, 48, j => done.Add(j.Key), (j, d) => Assert.Fail(d.ToString()));
        CollectionAssert.AreEquivalent(new[] { "key-12", "key-3", "key-0" }, done);

        var (frames, fps, width, height) = CounterVideo.Probe(jobs[0].Output);
        Assert.AreEqual((193, "16/1", 64, 48), (frames, fps, width, height)); // Fps*L+1
        Assert.AreEqual("key-12", SequenceEncoder.RecordedKey(jobs[0].Output));

        var expected = new List<int>();
        for (int o = 0; o < 193; o++)
        {
            int j = Math.Min(o / 48, 3), i = o - 48 * j;
            expected.Add(Expected25(segments[j].Start + i / 16.0, segments[j].SceneEnd));
        }
        var shown = CounterVideo.Read(jobs[0].Output, 64, 48);
        CollectionAssert.AreEqual(expected, shown);
        // The crop: the first frame is 0.5 s in (source frame 12), the 10-s scene's last output frame is before 9.5 s.
        Assert.AreEqual(12, shown[0]);
        Assert.AreEqual((int)Math.Floor((6.5 + 47 / 16.0) * 25), shown[143]);
        // The padded segment: from 12.7 s on it repeats frame 317 (12.68 s), never frame 318 of the next scene.
        Assert.AreEqual(255, shown[144]);
        Assert.AreEqual(9, shown.Count(f => f == 317));
        Assert.IsFalse(shown.Any(f => f >= 318));

        // The short sequences hold the same frames as the long one's segments.
        CollectionAssert.AreEqual(shown.Skip(144).ToList(), CounterVideo.Read(jobs[1].Output, 64, 48));
        CollectionAssert.AreEqual(shown.Take(48).ToList(), CounterVideo.Read(jobs[2].Output, 64, 48).Take(48).ToList());
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(_dir, "out"), "*vdstmp*", SearchOption.AllDirectories));
    }

    [TestMethod]
    public void OtherRatesAndAspectRatiosAreConformedToFpsAndFrameSize()
    {
        // 29.97 fps, 16:9 in mp4: scaled to cover 64x48 and centre-cropped; 16 fps output, exact frame count.
        string raw = Path.Combine(_dir, "wide.mp4");
        CounterVideo.Make(raw, 200, "30000/1001", 256, 144);
        var times = SequenceEncoder.FrameTimes(raw);
        Assert.HasCount(200, times);
        string output = Path.Combine(_dir, "wide_6s.mp4");
        var job = new WorkItem { Input = raw, Output = output, Key = "k", Timings = [new SegmentTiming(0.3, 6.5), new SegmentTiming(3.3, 6.5)] };
        SequenceEncoder.Encode(raw, [job], 16, 3, 64, 48, _ => { }, (_, d) => Assert.Fail(d.ToString()));
        Assert.AreEqual((97, "16/1", 64, 48), CounterVideo.Probe(output));
        // 256x144 scales to 86x48 (factor 1/3) and loses 11 columns at each side: output column x shows source
        // column about 3(x + 11), so source blocks 2..5 (bits 2..5, 32 px wide) are at output x = 16, 27, 37, 48.
        int[] columns = [16, 27, 37, 48];
        var frames = CounterVideo.Frames(output, 64, 48);
        for (int i = 0; i < 97; i++)
        {
            int j = Math.Min(i / 48, 1);
            double t = job.Timings[j].Start + (i - 48 * j) / 16.0;
            int k = times.FindLastIndex(x => x <= t + 0.0005); // the frame displayed at t
            int bits = columns.Select((x, b) => frames[i][12 * 64 + x] > 128 ? 1 << b : 0).Sum();
            Assert.AreEqual((k >> 2) & 15, bits, $"output frame {i} (t = {t} s) should show source frame {k}");
        }
        Assert.AreEqual("k", SequenceEncoder.RecordedKey(output));
    }

    [TestMethod]
    public void AFailedSequenceLeavesNoFileAndTheOthersAreWritten()
    {
        string raw = Path.Combine(_dir, "short.mkv");
        CounterVideo.Make(raw, 100); // 4 s
        File.WriteAllText(Path.Combine(_dir, "blocked"), "a file where the output's folder should be");
        var good = new WorkItem { Input = raw, Output = Path.Combine(_dir, "good.mp4"), Key = "g", Timings = [new SegmentTiming(0.5, 4)] };
        var bad = new WorkItem { Input = raw, Output = Path.Combine(_dir, "blocked/bad.mp4"), Key = "b", Timings = [new SegmentTiming(0, 4)] };
        var failed = new List<string>();
        SequenceEncoder.Encode(raw, [bad, good], 16, 3, 64, 48, _ => { }, (j, d) => failed.Add(j.Key + " " + d.Code));
        CollectionAssert.AreEqual(new[] { "b " + SequenceEncoder.EncodeFailed }, failed);
        Assert.AreEqual(49, CounterVideo.Probe(good.Output).Frames);
        Assert.AreEqual(12, CounterVideo.Read(good.Output, 64, 48)[0]);
        Assert.IsEmpty(Directory.GetFiles(_dir, "*vdstmp*"));
    }
}
