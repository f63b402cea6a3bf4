namespace VideoDataset.Tests.Support;

/// <summary>
/// Debian's headless Chromium (`apt-get install chromium`; .ci/run installs it) opening a report
/// from disk. Root needs --no-sandbox; each run gets its own profile folder, and Repo.Run kills the
/// whole process tree if a run hangs past its timeout.
/// </summary>
public static class Chromium
{
    public static string Executable =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new AssertFailedException("Chromium is not installed: apt-get install -y --no-install-recommends chromium (.ci/run does).");

    static Repo.Result Run(IEnumerable<string> args, int timeoutSeconds)
    {
        string profile = Path.Combine(Path.GetTempPath(), "vds-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            return Repo.Run(Executable, new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                "--disable-extensions", "--disable-background-networking", $"--user-data-dir={profile}",
            }.Concat(args), timeoutSeconds: timeoutSeconds);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The page's DOM after its scripts ran (the load event included), as Chromium serializes it.</summary>
    public static string DumpDom(string htmlFile, int virtualTimeMs = 5000, int timeoutSeconds = 90)
    {
        var r = Run([$"--virtual-time-budget={virtualTimeMs}", "--dump-dom", new Uri(htmlFile).AbsoluteUri], timeoutSeconds);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        int start = r.Output.IndexOf("<html", StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, start, "Chromium printed no DOM:\n" + r.Output);
        return r.Output[start..];
    }

    public static void Screenshot(string htmlFile, string pngFile, int width = 1280, int height = 1700, int timeoutSeconds = 90)
    {
        var r = Run([$"--window-size={width},{height}", $"--screenshot={pngFile}", new Uri(htmlFile).AbsoluteUri], timeoutSeconds);
        Assert.AreEqual(0, r.ExitCode, r.ToString());
        Assert.IsTrue(File.Exists(pngFile), "no screenshot written:\n" + r.Output);
    }
}
