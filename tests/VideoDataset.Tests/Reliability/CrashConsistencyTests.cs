using System.Text.RegularExpressions;
using VideoDataset.Tests.EndToEnd;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// Issue 6 item 1: `dotnet build` of a small dataset killed with SIGKILL (the whole process tree) at
/// random points, each time followed by a build to completion whose outputs are compared byte for
/// byte with a clean build's. VDS_CRASH_KILLS sets the number of kills (default 6; 100+ for the
/// figures in the README), VDS_CRASH_SEED the random seed.
/// </summary>
[TestClass]
[TestCategory("Reliability")]
public partial class CrashConsistencyTests
{
    public TestContext TestContext { get; set; } = null!;

    [GeneratedRegex(@"(\d+) videos \((\d+) to encode\), (\d+) distinct texts \((\d+) to encode\)")]
    private static partial Regex Plan();

    static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    static DatasetProject Dataset(string name)
    {
        var p = Clips.SmallDataset(name);
        // A fourth clip so that killed builds often stop between two finished latents.
        Clips.Make(Path.Combine(p.EpisodeDir, "ep02/d.mp4"), 97, 3);
        File.AppendAllText(p.AnnotationFile,
            """{"video": "ep02/d.mp4", "scene_start": [true, false], "scene_end": [false, true], "text_0": "Cells live and die.", "text_1": "The pattern settles."}""" + "\n");
        return p;
    }

    [TestMethod]
    public void KilledBuildsNeverLeaveAFreshButWrongOutput()
    {
        int kills = Setting("VDS_CRASH_KILLS", 6);
        var random = new Random(Setting("VDS_CRASH_SEED", 20261124));

        // The clean build every output is compared with.
        using var clean = Dataset("crash-ref");
        var cleanBuild = new KillableBuild(clean);
        Assert.AreEqual(0, cleanBuild.Wait(), cleanBuild.Output);
        double fullSeconds = cleanBuild.Clock.Elapsed.TotalSeconds;
        var reference = KillableBuild.Outputs(clean.DatasetDir);
        Assert.IsTrue(reference.Keys.Any(k => k.StartsWith("latents/")) && reference.Keys.Any(k => k.StartsWith("text/")));

        using var p = Dataset("crash");
        int done = 0, checks = 0, freshButWrong = 0, redoneFiles = 0, redoneByCount = 0, finishedBeforeKill = 0, leftoverTemps = 0, partialSeen = 0;
        var wrong = new List<string>();
        while (done < kills)
        {
            // Start from nothing (or from the tiny models only, half the time): kill points cover the whole build.
            if (Directory.Exists(p.DatasetDir)) Directory.Delete(p.DatasetDir, true);
            string obj = Path.Combine(p.Dir, "obj");
            if (random.Next(2) == 0 && Directory.Exists(obj)) Directory.Delete(obj, true);

            // One to three kills in a row, each at a random time within a full build's duration.
            int row = Math.Min(kills - done, 1 + random.Next(3));
            for (int k = 0; k < row; k++, done++)
            {
                using var build = new KillableBuild(p);
                double delay = 0.2 + random.NextDouble() * fullSeconds;
                while (!build.HasExited && build.Clock.Elapsed.TotalSeconds < delay) Thread.Sleep(10);
                if (build.HasExited) finishedBeforeKill++;
                build.Kill();
                Assert.IsEmpty(KillableBuild.GroupMembers(build.ProcessGroup), "every process of the killed build is gone");
            }

            // What the killed builds left, then a build to completion.
            var before = KillableBuild.Outputs(p.DatasetDir);
            partialSeen += before.Keys.Count(reference.ContainsKey);
            var rebuild = new KillableBuild(p);
            Assert.AreEqual(0, rebuild.Wait(), rebuild.Output);
            checks++;
            var after = KillableBuild.Outputs(p.DatasetDir);

            foreach (var (rel, state) in after)
            {
                if (rel.Contains(".vdstmp-")) { leftoverTemps++; continue; }
                bool keptAsFresh = before.TryGetValue(rel, out var old) && old.Identity == state.Identity;
                if (!reference.TryGetValue(rel, out var expected)) { wrong.Add($"check {checks}: unexpected output {rel}"); continue; }
                if (state.Sha != expected.Sha)
                {
                    if (keptAsFresh) freshButWrong++;
                    wrong.Add($"check {checks}: {rel} differs from the clean build ({(keptAsFresh ? "kept as fresh" : "rewritten")})");
                }
                else if (!keptAsFresh && before.TryGetValue(rel, out old) && old.Sha == expected.Sha && !rel.StartsWith("manifest"))
                    redoneFiles++; // finished and correct before the rebuild, yet written again
            }
            foreach (string rel in reference.Keys.Where(r => !after.ContainsKey(r)))
                wrong.Add($"check {checks}: {rel} is missing after the rebuild");

            // The rebuild's own plan: work it encoded beyond what was missing or wrong.
            var m = Plan().Match(rebuild.Output);
            Assert.IsTrue(m.Success, rebuild.Output);
            int encoded = int.Parse(m.Groups[2].Value) + int.Parse(m.Groups[4].Value);
            int needed = reference.Keys.Count(r => !r.StartsWith("manifest") && (!before.TryGetValue(r, out var b) || b.Sha != reference[r].Sha));
            redoneByCount += Math.Max(0, encoded - needed);
        }

        string figure = $"FIGURE crash consistency: {done} SIGKILLs ({finishedBeforeKill} after the build had finished), {checks} rebuilds checked, " +
            $"{reference.Count} outputs each ({partialSeen} found present after the kills); fresh-but-different outputs: {freshButWrong}; outputs differing after a rebuild: {wrong.Count}; " +
            $"finished outputs redone: {redoneFiles} (by file identity), {redoneByCount} (by the plan's counts); leftover temporary files: {leftoverTemps}";
        TestContext.WriteLine(figure);
        Console.WriteLine(figure);
        Assert.AreEqual(0, freshButWrong, string.Join("\n", wrong));
        Assert.IsEmpty(wrong, string.Join("\n", wrong));
        Assert.AreEqual(0, redoneFiles, "a rebuild redid finished work");
    }
}
