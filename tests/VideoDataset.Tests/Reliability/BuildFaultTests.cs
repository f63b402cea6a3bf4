using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using VideoDataset.Core.Tensors;
using VideoDataset.Tests.EndToEnd;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// Faults around real builds: Ctrl+C during encoding, two builds on one DatasetDir, a build while a
/// training job reads the outputs, and a full disk.
/// </summary>
[TestClass]
[TestCategory("Reliability")]
public partial class BuildFaultTests
{
    public TestContext TestContext { get; set; } = null!;

    [GeneratedRegex(@"(\d+) videos \((\d+) to encode\), (\d+) distinct texts \((\d+) to encode\)")]
    private static partial Regex Plan();

    static void AssertBuilt(Repo.Result r) => Assert.AreEqual(0, r.ExitCode, r.ToString());

    /// <summary>No temporary file is left and every tensor file present is complete (its CRCs check).</summary>
    static int AssertNothingHalfWritten(string datasetDir)
    {
        if (!Directory.Exists(datasetDir)) return 0;
        var temps = Directory.GetFiles(datasetDir, "*.vdstmp-*", SearchOption.AllDirectories);
        Assert.IsEmpty(temps, "temporary files left: " + string.Join(", ", temps));
        var files = Directory.GetFiles(datasetDir, "*.pt", SearchOption.AllDirectories);
        foreach (string f in files) TorchTensorFile.Read(f);
        return files.Length;
    }

    /// <summary>The small dataset and <paramref name="extra"/> more 9-s clips, so that encoding lasts a while.</summary>
    static DatasetProject Longer(string name, int extra)
    {
        var p = Clips.SmallDataset(name);
        var lines = new List<string>();
        for (int i = 0; i < extra; i++)
        {
            Clips.Make(Path.Combine(p.EpisodeDir, $"ep04/v{i}.mp4"), 145, i);
            lines.Add($$"""{"video": "ep04/v{{i}}.mp4", "scene_start": [true, false, false], "scene_end": [false, false, true], "text_0": "Clip {{i}} opens.", "text_1": "Clip {{i}} goes on.", "text_2": "Clip {{i}} ends."}""");
        }
        File.AppendAllLines(p.AnnotationFile, lines);
        return p;
    }

    [TestMethod]
    public void CtrlCDuringEncodingStopsPromptlyKeepsFinishedWorkAndLeavesNothingHalfWritten()
    {
        using var p = Longer("cancel", 4);
        using var build = new KillableBuild(p);
        var wait = Stopwatch.StartNew();
        while (!build.Output.Contains("latents: 2/") && !build.HasExited && wait.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(20);
        Assert.IsFalse(build.HasExited, "the build ended before it could be interrupted:\n" + build.Output);

        var clock = Stopwatch.StartNew();
        build.Signal(2); // SIGINT to the foreground group: what Ctrl+C in a terminal sends
        int exit = build.Wait(120);
        double seconds = clock.Elapsed.TotalSeconds;
        TestContext.WriteLine($"FIGURE Ctrl+C: the build stopped {seconds:0.00} s after SIGINT, exit code {exit}");
        Assert.AreNotEqual(0, exit, build.Output);
        Assert.IsLessThan(10.0, seconds, "stops promptly");
        Thread.Sleep(200);
        Assert.IsEmpty(KillableBuild.GroupMembers(build.ProcessGroup), "no worker or ffmpeg outlives the build");

        int kept = AssertNothingHalfWritten(p.DatasetDir);
        var before = KillableBuild.Outputs(p.DatasetDir);
        int latentsBefore = before.Keys.Count(k => k.StartsWith("latents/"));
        Assert.IsGreaterThanOrEqualTo(2, latentsBefore, "the latents finished before Ctrl+C are kept");

        var rebuild = p.Build();
        AssertBuilt(rebuild);
        var m = Plan().Match(rebuild.Output);
        Assert.AreEqual(7 - latentsBefore, int.Parse(m.Groups[2].Value), "only the unfinished latents are encoded");
        var after = KillableBuild.Outputs(p.DatasetDir);
        var rewritten = before.Where(kv => !kv.Key.StartsWith("manifest") && after[kv.Key] != kv.Value).Select(kv => kv.Key).ToList();
        Assert.IsEmpty(rewritten, "finished outputs are not redone");
        TestContext.WriteLine($"FIGURE Ctrl+C: {kept} finished tensor files kept, 0 half-written, rebuild encoded {m.Groups[2].Value} latents and {m.Groups[4].Value} texts");
    }

    [TestMethod]
    public void TwoBuildsOnOneDatasetDirOneWinsTheOtherFailsClearlyAndTheResultIsCorrect()
    {
        using var first = Clips.SmallDataset("two-a");
        using var second = new DatasetProject("two-b");
        second.Properties["FrameWidth"] = Clips.Width.ToString();
        second.Properties["FrameHeight"] = Clips.Height.ToString();
        second.Properties["EpisodeDir"] = first.EpisodeDir + "/";
        second.Properties["AnnotationFile"] = first.AnnotationFile;
        second.Properties["DatasetDir"] = first.DatasetDir + "/";
        second.WriteProject();

        // The builds must overlap, whatever the machine's speed: the first is frozen (SIGSTOP to its
        // whole group) once its plan line shows it holds the lock, and the second runs start to end
        // inside that window; then the first goes on.
        using var a = new KillableBuild(first);
        var wait = Stopwatch.StartNew();
        while (!Plan().IsMatch(a.Output) && !a.HasExited && wait.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(20);
        Assert.IsFalse(a.HasExited, "the first build ended before the second could start:\n" + a.Output);
        Assert.IsTrue(Plan().IsMatch(a.Output), "the first build reached its plan (it holds the lock):\n" + a.Output);
        a.Signal(SigStop);
        int exitB;
        string outputB;
        try
        {
            using var b = new KillableBuild(second);
            exitB = b.Wait();
            outputB = b.Output;
            Assert.IsFalse(a.HasExited, "the first build was still running when the second ended");
        }
        finally { a.Signal(SigCont); }
        int exitA = a.Wait();

        Assert.AreEqual(0, exitA, "the build holding the lock wins:\n" + a.Output);
        Assert.AreNotEqual(0, exitB, "the second build loses:\n" + outputB);
        StringAssert.Contains(outputB, "error VDS5010: Another build is writing this DatasetDir");
        Assert.DoesNotContain("Unhandled exception", outputB);
        Assert.IsFalse(Plan().IsMatch(outputB), "the loser stopped at the lock, before planning anything");
        AssertNothingHalfWritten(first.DatasetDir);

        // Afterwards both projects see a current, complete dataset.
        AssertBuilt(first.Build("-t:VerifyDataset"));
        var again = second.Build();
        AssertBuilt(again);
        StringAssert.Contains(again.Output, "3 videos (0 to encode), 4 distinct texts (0 to encode)");
        TestContext.WriteLine($"FIGURE two builds at once: the second ran while the first held the lock; exit codes {exitA} and {exitB}, the loser reported VDS5010");
    }

    // Linux signal numbers (x86-64 and arm64).
    const int SigStop = 19, SigCont = 18;

    [TestMethod]
    public void ATrainingJobReadingDuringBuildsNeverSeesAHalfWrittenFile()
    {
        using var p = Longer("reader", 1);
        int reads = 0, manifestReads = 0;
        var problems = new List<string>();
        using var stop = new CancellationTokenSource();
        // Reads as a trainer does: every manifest, then every file its lines name; also every .pt present.
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (!Directory.Exists(p.DatasetDir)) { Thread.Sleep(5); continue; }
                foreach (string manifest in Directory.GetFiles(p.DatasetDir, "manifest-*s.jsonl"))
                {
                    string[] lines;
                    try { lines = File.ReadAllLines(manifest); }
                    catch (FileNotFoundException) { continue; }
                    manifestReads++;
                    foreach (string line in lines)
                    {
                        try
                        {
                            var json = JsonDocument.Parse(line).RootElement;
                            foreach (string f in json.GetProperty("text_chunk_emb").EnumerateArray().Select(t => t.GetString()!).Append(json.GetProperty("vid_emb").GetString()!))
                            {
                                TorchTensorFile.Read(Path.Combine(p.DatasetDir, f));
                                reads++;
                            }
                        }
                        catch (Exception e) { lock (problems) problems.Add($"{Path.GetFileName(manifest)}: {e.GetType().Name}: {e.Message}"); }
                    }
                }
                foreach (string f in Directory.GetFiles(p.DatasetDir, "*.pt", SearchOption.AllDirectories))
                {
                    try { TorchTensorFile.Read(f); reads++; }
                    catch (FileNotFoundException) { }
                    catch (Exception e) { lock (problems) problems.Add($"{f}: {e.GetType().Name}: {e.Message}"); }
                }
            }
        });
        try
        {
            AssertBuilt(p.Build());
            // A second build that rewrites a manifest and adds embeddings while the reader goes on.
            File.WriteAllText(p.AnnotationFile, File.ReadAllText(p.AnnotationFile).Replace("Bars scroll left.", "Bars scroll right."));
            AssertBuilt(p.Build());
        }
        finally
        {
            stop.Cancel();
            reader.Wait();
        }
        TestContext.WriteLine($"FIGURE concurrent reader: {reads} tensor reads and {manifestReads} manifest reads during two builds, {problems.Count} corrupt or half-visible");
        Assert.IsEmpty(problems, string.Join("\n", problems.Take(20)));
        Assert.IsGreaterThan(0, reads);
        AssertBuilt(p.Build("-t:VerifyDataset"));
    }

    [TestMethod]
    public void AFullDiskFailsClearlyAndNoTruncatedOutputSurvivesAsFresh()
    {
        if (Environment.UserName != "root" && Repo.Run("id", ["-u"]).Output.Trim() != "0")
            Assert.Inconclusive("mounting a small tmpfs needs root (CI runs as root)");

        using var reference = Clips.SmallDataset("diskfull-ref");
        AssertBuilt(reference.Build());
        var expected = KillableBuild.Outputs(reference.DatasetDir);

        using var p = Clips.SmallDataset("diskfull");
        Directory.CreateDirectory(p.DatasetDir);
        // 160 KiB: the two 3-s latents fit, the 9-s latent and the text embeddings do not.
        var mount = Repo.Run("mount", ["-t", "tmpfs", "-o", "size=160k", "tmpfs", p.DatasetDir]);
        if (mount.ExitCode != 0) Assert.Inconclusive("cannot mount a tmpfs here: " + mount.Output);
        try
        {
            var full = p.Build();
            Assert.AreNotEqual(0, full.ExitCode);
            var errors = full.Output.Split('\n').Where(l => l.Contains(": error ")).Select(l => Regex.Replace(l, @"^\s*(\d+>)?", "")).Distinct().ToList();
            TestContext.WriteLine("errors on a full disk:\n" + string.Join("\n", errors));
            Assert.IsTrue(errors.Any(l => Regex.IsMatch(l, @"error VDS\d{4}: .*No space left on device")), "a coded error names the full disk:\n" + full.Output);
            Assert.DoesNotContain("Unhandled exception", full.Output);
            int present = AssertNothingHalfWritten(p.DatasetDir);
            foreach (string f in Directory.GetFiles(p.DatasetDir, "*.pt", SearchOption.AllDirectories))
                Assert.AreEqual(expected[Path.GetRelativePath(p.DatasetDir, f)].Sha, KillableBuild.Outputs(p.DatasetDir)[Path.GetRelativePath(p.DatasetDir, f)].Sha, f);

            // More room: the build completes, and every output equals the clean build's.
            Assert.AreEqual(0, Repo.Run("mount", ["-o", "remount,size=16m", p.DatasetDir]).ExitCode);
            var rebuild = p.Build();
            AssertBuilt(rebuild);
            var after = KillableBuild.Outputs(p.DatasetDir);
            CollectionAssert.AreEquivalent(expected.Select(kv => (kv.Key, kv.Value.Sha)).ToList(), after.Select(kv => (kv.Key, kv.Value.Sha)).ToList());
            TestContext.WriteLine($"FIGURE disk full: {errors.Count} error lines, {present} complete tensor files kept, 0 truncated; after more room the outputs equal the clean build's");
        }
        finally
        {
            Repo.Run("umount", ["-l", p.DatasetDir]);
        }
    }
}
