// Renders the report of a placeholder dataset (N lines, default 10,000: 100 sequences per episode,
// lengths 3/9/18/30/63 s in turn, texts of 20-120 words) with the same ReportHtml the build uses,
// then times headless Chromium opening index.html and one episode page from disk, against a blank
// page (the browser's own start). Placeholder thumbnails: a few ffmpeg-made JPEGs copied to a
// distinct file per segment of the timed episode. Latent statistics are synthetic.
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Report;

int lines = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
const int perEpisode = 100, maxLength = 498;
int[] lengths = [3, 9, 18, 30, 63];
string dir = Path.Combine(Path.GetTempPath(), "vds-reportbench-" + Guid.NewGuid().ToString("N")[..8]);
string reportDir = Path.Combine(dir, "dataset", "report");
Directory.CreateDirectory(reportDir);
string chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
    ?? throw new InvalidOperationException("install chromium (apt-get install -y --no-install-recommends chromium)");

// A few real JPEGs (ffmpeg test patterns at the report's thumbnail width).
var samples = new List<byte[]>();
for (int i = 0; i < 4; i++)
{
    string f = Path.Combine(dir, $"sample{i}.jpg");
    var psi = new ProcessStartInfo("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size=112x74:rate=16", "-vf", $"hue=h={i * 90}", "-frames:v", "1", "-q:v", "5", f]);
    Process.Start(psi)!.WaitForExit();
    samples.Add(File.ReadAllBytes(f));
}

var rng = new Random(1);
string[] words = "a the red blue camera pans over field city night rain slowly towards figure walks runs light falls through window while sound".Split(' ');
var rows = new List<ReportRow>(lines);
for (int i = 0; i < lines; i++)
{
    string episode = $"show/ep{i / perEpisode:D3}";
    int seconds = lengths[i % lengths.Length], n = seconds / 3;
    bool timedEpisode = i / perEpisode == 0;
    var segs = new List<ReportSegment>(n);
    for (int k = 0; k < n; k++)
    {
        string text = string.Join(' ', Enumerable.Range(0, rng.Next(20, 120)).Select(_ => words[rng.Next(words.Length)]));
        int tokens = text.Length / 4 + 3;
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
        string thumb = Thumbnails.RelativePath(sha, k);
        if (timedEpisode)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(reportDir, thumb))!);
            File.WriteAllBytes(Path.Combine(reportDir, thumb), samples[(i + k) % samples.Count]);
        }
        segs.Add(new ReportSegment(text, k == 0, k == n - 1, new SegmentTokens(tokens, maxLength), false,
            $"text/{sha[..2]}/{sha}{k}.pt", true, thumb));
    }
    var stats = new LatentStats(-3, 3, rng.NextDouble() * 0.1, 0.9 + rng.NextDouble() * 0.1, -6, 1, -2 + rng.NextDouble() * 0.2, 0.5, 0, 0);
    rows.Add(new ReportRow(i + 1, $"{episode}/{seconds}s_{i:D4}.mp4", episode, seconds, $"latents/{episode}/{seconds}s_{i:D4}.pt", "fresh",
        stats, false, segs, i % 97 == 0 ? [Diagnostic.Warning("VDS1102", "annotations.jsonl", i + 1, 30, "placeholder warning")] : []));
}
var model = new ReportModel
{
    Title = "VideoDataset report", AnnotationFile = Path.Combine(dir, "annotations.jsonl"), DatasetDir = Path.Combine(dir, "dataset"),
    DatasetFromReport = "../", TextMaxLength = maxLength, SegmentSeconds = 3, Rows = rows, DistinctTexts = rows.Sum(r => r.Segments.Count),
    DiskUse = [("latents", lines, lines * 4_500_000L)], Recipe = [("ModelDir", "/models/CogVideoX-5b")], StaleOrMissing = [], OtherDiagnostics = [],
};
var sw = Stopwatch.StartNew();
var pages = ReportHtml.Render(model);
double renderS = sw.Elapsed.TotalSeconds;
foreach (var (rel, html) in pages)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(reportDir, rel))!);
    File.WriteAllText(Path.Combine(reportDir, rel), html);
}
string index = Path.Combine(reportDir, "index.html");
string episodePage = Path.Combine(reportDir, ReportHtml.EpisodePage("show/ep000"));
string blank = Path.Combine(dir, "blank.html");
File.WriteAllText(blank, "<!DOCTYPE html><html><body><script>addEventListener('load',function(){document.body.setAttribute('data-images','loaded');document.body.setAttribute('data-load-ms',Math.round(performance.now()));});</script></body></html>");

(double Wall, string Body) Open(string page)
{
    string profile = Path.Combine(dir, "profile-" + Guid.NewGuid().ToString("N")[..8]);
    var psi = new ProcessStartInfo(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
        "--disable-background-networking", $"--user-data-dir={profile}", "--dump-dom", new Uri(page).AbsoluteUri])
    { RedirectStandardOutput = true, RedirectStandardError = true };
    var t = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    var err = p.StandardError.ReadToEndAsync();
    string dom = p.StandardOutput.ReadToEnd();
    if (!p.WaitForExit(60_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException(page); }
    double wall = t.Elapsed.TotalSeconds;
    Directory.Delete(profile, recursive: true);
    var body = Regex.Match(dom, "<body[^>]*>").Value;
    if (!body.Contains("data-images=\"loaded\"")) throw new InvalidOperationException($"{page} did not load all its images: {body}\n{err.Result}");
    return (wall, body);
}

string Load() => File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
string Ms(string body) => Regex.Match(body, "data-load-ms=\"(\\d+)\"").Groups[1].Value;
long Size(string f) => new FileInfo(f).Length;

Console.WriteLine($"{lines} lines in {rows.Select(r => r.Episode).Distinct().Count()} episodes, {rows.Sum(r => r.Segments.Count)} segments; rendered {pages.Count} pages in {renderS:0.00} s");
Console.WriteLine();
Console.WriteLine("| page | size | Chromium --dump-dom wall, median of " + runs + " (min-max) | page load event (performance.now) | load average |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (name, page) in new[] { ("blank page (browser start)", blank), ("index.html", index), ("episode page, 100 sequences", episodePage) })
{
    Open(page); // warm-up: the file cache and the browser's own files
    var results = Enumerable.Range(0, runs).Select(_ => Open(page)).ToList();
    var walls = results.Select(r => r.Wall).OrderBy(x => x).ToList();
    Console.WriteLine($"| {name} | {Size(page) / 1024.0:0} KiB | {walls[walls.Count / 2]:0.00} s ({walls[0]:0.00}-{walls[^1]:0.00}) | {Ms(results[^1].Body)} ms | {Load()} |");
}
Directory.Delete(dir, recursive: true);
