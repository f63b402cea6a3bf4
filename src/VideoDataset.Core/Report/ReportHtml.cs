using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using VideoDataset.Core.Annotations;

namespace VideoDataset.Core.Report;

/// <summary>
/// Renders the report as static HTML that opens from disk with no server and no network: CSS and
/// the plots (SVG) are inline, so there is no dependency to ship or fetch and nothing to load from
/// a CDN. The output is a pure function of the model (no clock, no absolute times), so an unchanged
/// dataset renders the same bytes. Small datasets show every row on index.html; large ones list
/// their episodes there, one page each, so the first page stays light.
/// </summary>
public static class ReportHtml
{
    /// <summary>Up to this many rows, index.html shows every row itself.</summary>
    public const int InlineRowLimit = 300;
    /// <summary>Above this many rows on a page, thumbnails load lazily (as they scroll into view).</summary>
    const int LazyImageRows = 300;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static string H(string s) => WebUtility.HtmlEncode(s);
    static string N(long v) => v.ToString("N0", Inv);

    public static SortedDictionary<string, string> Render(ReportModel m)
    {
        var pages = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var episodes = m.Rows.GroupBy(r => r.Episode).ToList();
        bool inline = m.Rows.Count <= InlineRowLimit;
        pages["index.html"] = Index(m, episodes, inline);
        foreach (var ep in episodes)
            pages[EpisodePage(ep.Key)] = Page($"{m.Title}: {ep.Key}", "../", sb =>
            {
                sb.Append("<p><a href=\"../index.html\">&larr; summary</a></p>\n");
                sb.Append($"<h2>Episode {H(ep.Key)}: {ep.Count()} sequences</h2>\n");
                if (m.Timelines.TryGetValue(ep.Key, out var timeline))
                {
                    var lines = ep.ToDictionary(r => r.Video, r => r.Line, StringComparer.Ordinal);
                    sb.Append("<figure class=\"wide\"><figcaption>The raw video: scenes (dark blue: kept; light: what the centred crop removes; orange: padded, 2-3 s; grey: dropped, under 2 s), the 3-second segments, and the sequences of each length (click one for its row; grey: no annotation line).</figcaption>");
                    sb.Append(timeline.ToSvg(v => lines.TryGetValue(v, out int l) ? l : null)).Append("</figure>\n");
                }
                Rows(sb, m, ep, "../", lazy: ep.Count() > LazyImageRows);
            });
        return pages;
    }

    /// <summary>The page of an episode: a readable name plus a short hash, so two episodes never share one.</summary>
    public static string EpisodePage(string episode)
    {
        var safe = new StringBuilder();
        foreach (char c in episode) safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(episode)))[..8];
        return $"episodes/{(safe.Length > 60 ? safe.ToString(0, 60) : safe)}-{hash}.html";
    }

    static string Index(ReportModel m, List<IGrouping<string, ReportRow>> episodes, bool inline) => Page(m.Title, "", sb =>
    {
        var rows = m.Rows;
        int references = rows.Sum(r => r.Segments.Count);
        sb.Append("<h2>Summary</h2>\n<div class=\"cards\">\n");
        sb.Append("<table class=\"kv\" id=\"lengths\"><tr><th>length</th><th>videos</th><th>duration</th></tr>\n");
        foreach (var g in rows.GroupBy(r => r.Seconds).OrderBy(g => g.Key))
            sb.Append($"<tr><td>{g.Key} s</td><td>{N(g.Count())}</td><td>{Duration(g.Count() * (double)g.Key)}</td></tr>\n");
        sb.Append($"<tr class=\"total\"><td>all</td><td>{N(rows.Count)}</td><td>{Duration(rows.Sum(r => (double)r.Seconds))}</td></tr></table>\n");
        sb.Append($"<table class=\"kv\" id=\"texts\"><tr><th colspan=\"2\">texts</th></tr><tr><td>segment references</td><td>{N(references)}</td></tr>" +
                  $"<tr><td>distinct encoded strings</td><td id=\"distinct-texts\">{N(m.DistinctTexts)}</td></tr>" +
                  $"<tr><td>embeddings saved by content addressing</td><td>{N(references - m.DistinctTexts)}</td></tr></table>\n");
        sb.Append("<table class=\"kv\" id=\"disk\"><tr><th>output</th><th>files</th><th>size</th></tr>\n");
        foreach (var (kind, files, bytes) in m.DiskUse)
            sb.Append($"<tr><td>{H(kind)}</td><td>{N(files)}</td><td>{Bytes(bytes)}</td></tr>\n");
        sb.Append("</table>\n</div>\n");

        int stale = m.StaleOrMissing.Count;
        sb.Append($"<h3 id=\"stale\" data-count=\"{stale}\">Stale or missing now: {(stale == 0 ? "none, every output is current" : N(stale))}</h3>\n");
        if (stale > 0)
        {
            sb.Append("<ul class=\"stale\">");
            foreach (string s in m.StaleOrMissing.Take(200)) sb.Append($"<li>{H(s)}</li>");
            if (stale > 200) sb.Append($"<li>… and {N(stale - 200)} more</li>");
            sb.Append("</ul>\n");
        }
        if (m.OtherDiagnostics.Count > 0)
        {
            sb.Append("<h3>Errors of the build</h3><ul class=\"warn\">");
            foreach (var d in m.OtherDiagnostics.Take(200)) sb.Append($"<li>{H(d.ToString())}</li>");
            sb.Append("</ul>\n");
        }

        sb.Append("<details><summary>Recipe: model folders, their hashes and every setting that changes the bytes</summary>\n<table class=\"kv\" id=\"recipe\">");
        foreach (var (k, v) in m.Recipe) sb.Append($"<tr><td>{H(k)}</td><td><code>{H(v)}</code></td></tr>");
        sb.Append("</table></details>\n");

        Health(sb, m);

        var warned = rows.Where(r => r.Warnings.Count > 0).ToList();
        sb.Append($"<h2>Warnings ({N(warned.Sum(r => r.Warnings.Count))})</h2>\n");
        if (warned.Count > 0)
        {
            sb.Append("<ul class=\"warn\">");
            foreach (var d in warned.SelectMany(r => r.Warnings).Take(500)) sb.Append($"<li>{H(d.ToString())}</li>");
            sb.Append("</ul>\n");
        }

        sb.Append($"<h2>Episodes ({N(episodes.Count)})</h2>\n<table class=\"list\" id=\"episodes\"><tr><th>episode</th><th>sequences</th><th>duration</th><th>warnings</th><th>outliers</th><th>not current</th></tr>\n");
        foreach (var ep in episodes)
            sb.Append($"<tr><td><a href=\"{EpisodePage(ep.Key)}\">{H(ep.Key)}</a></td><td>{N(ep.Count())}</td><td>{Duration(ep.Sum(r => (double)r.Seconds))}</td>" +
                      $"<td>{N(ep.Sum(r => r.Warnings.Count))}</td><td>{N(ep.Count(r => r.Outlier))}</td><td>{N(ep.Count(r => r.LatentState != "fresh"))}</td></tr>\n");
        sb.Append("</table>\n");

        if (inline)
        {
            sb.Append("<h2>Sequences</h2>\n");
            Rows(sb, m, rows, "", lazy: false);
        }
        else sb.Append($"<p>{N(rows.Count)} sequences: open an episode above to see its filmstrips.</p>\n");
    });

    static void Health(StringBuilder sb, ReportModel m)
    {
        sb.Append("<h2>Health</h2>\n<div class=\"cards\">\n");
        var counts = m.Rows.SelectMany(r => r.Segments).Where(s => s.Tokens is not null).Select(s => (double)s.Tokens!.Count).ToList();
        if (counts.Count > 0)
        {
            int truncated = m.Rows.Sum(r => r.Segments.Count(s => s.Tokens?.Truncated == true));
            sb.Append($"<figure><figcaption>Text length in tokens (with scene tokens and &lt;/s&gt;), per segment; the red line is TextMaxLength {m.TextMaxLength}. Truncated: <b id=\"truncated-count\">{N(truncated)}</b></figcaption>");
            sb.Append(Histogram(counts, 0, Math.Max(m.TextMaxLength * 1.1, counts.Max() + 1), 40, m.TextMaxLength, "tokens"));
            sb.Append("</figure>\n");
        }
        var stats = m.Rows.Where(r => r.Stats is not null).ToList();
        if (stats.Count > 0)
        {
            long nans = stats.Sum(r => r.Stats!.NaNs), infs = stats.Sum(r => r.Stats!.Infs);
            foreach (var (label, f) in new (string, Func<LatentStats, double>)[] { ("mean of the mean channels", s => s.MeanMean), ("std of the mean channels", s => s.MeanStd), ("mean of the log-variance", s => s.LogVarMean) })
            {
                var v = stats.Select(r => f(r.Stats!)).Where(double.IsFinite).ToList();
                if (v.Count == 0) continue;
                double lo = v.Min(), hi = v.Max();
                if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
                sb.Append($"<figure><figcaption>Per latent: {label}</figcaption>{Histogram(v, lo, hi + (hi - lo) * 1e-6, 30, null, "")}</figure>\n");
            }
            sb.Append("</div>\n");
            var outliers = m.Rows.Where(r => r.Outlier).ToList();
            sb.Append($"<p id=\"latent-health\">{N(stats.Count)} latents read; NaN values: <b>{N(nans)}</b>, Inf values: <b>{N(infs)}</b>; outliers (NaN/Inf, or over 6 robust standard deviations from the dataset's median): <b id=\"outlier-count\">{N(outliers.Count)}</b>.</p>\n");
            if (outliers.Count > 0)
            {
                sb.Append("<ul class=\"warn\">");
                foreach (var r in outliers.Take(200)) sb.Append($"<li><a href=\"{EpisodePage(r.Episode)}#{RowId(r)}\">{H(r.Video)}</a>: {StatsText(r.Stats!)}</li>");
                sb.Append("</ul>\n");
            }
        }
        else sb.Append("</div>\n<p>No latent is built yet: no latent statistics.</p>\n");
    }

    static string RowId(ReportRow r) => "line-" + r.Line.ToString(Inv);

    static string StatsText(LatentStats s) =>
        $"mean channels [{DatasetReport.Format(s.MeanMin)}, {DatasetReport.Format(s.MeanMax)}] μ {DatasetReport.Format(s.MeanMean)} σ {DatasetReport.Format(s.MeanStd)}; " +
        $"log-variance [{DatasetReport.Format(s.LogVarMin)}, {DatasetReport.Format(s.LogVarMax)}] μ {DatasetReport.Format(s.LogVarMean)} σ {DatasetReport.Format(s.LogVarStd)}" +
        (s.NaNs + s.Infs > 0 ? $"; NaN {N(s.NaNs)}, Inf {N(s.Infs)}" : "");

    static void Rows(StringBuilder sb, ReportModel m, IEnumerable<ReportRow> rows, string toReport, bool lazy)
    {
        string toDataset = RelativeToDataset(m, toReport);
        foreach (var r in rows)
        {
            bool truncated = r.Segments.Any(s => s.Tokens?.Truncated == true);
            sb.Append($"<section class=\"row{(r.Outlier ? " outlier" : "")}{(truncated ? " truncated" : "")}\" id=\"{RowId(r)}\" data-video=\"{H(r.Video)}\" data-line=\"{r.Line}\" data-latent=\"{r.LatentState}\">\n");
            sb.Append($"<header><b>{H(r.Video)}</b> <span class=\"dim\">{r.Seconds} s · annotation line {r.Line}</span> " +
                      $"<a href=\"{toDataset}{H(r.LatentPath)}\" class=\"state-{r.LatentState}\">{H(r.LatentPath)}</a> <span class=\"badge state-{r.LatentState}\">{r.LatentState}</span>" +
                      (r.Outlier ? " <span class=\"badge bad\">outlier</span>" : "") + "</header>\n");
            if (r.Stats is { } st) sb.Append($"<div class=\"stats\">{StatsText(st)}</div>\n");
            sb.Append("<div class=\"strip\">\n");
            for (int i = 0; i < r.Segments.Count; i++)
            {
                var s = r.Segments[i];
                sb.Append($"<div class=\"seg{(s.SceneStart ? " ss" : "")}{(s.SceneEnd ? " se" : "")}\" data-segment=\"{i}\" data-scene-start=\"{(s.SceneStart ? "true" : "false")}\" data-scene-end=\"{(s.SceneEnd ? "true" : "false")}\">");
                sb.Append("<div class=\"pic\">");
                if (s.SceneStart) sb.Append("<i class=\"mark start\" title=\"scene starts\">▶ scene</i>");
                if (s.SceneEnd) sb.Append("<i class=\"mark end\" title=\"scene ends\">scene ◀</i>");
                if (s.Thumbnail is not null)
                    sb.Append($"<img src=\"{toReport}{H(s.Thumbnail)}\" alt=\"segment {i}\" width=\"{Thumbnails.Width}\"{(lazy ? " loading=\"lazy\"" : "")}>");
                else sb.Append("<span class=\"nothumb\">no picture</span>");
                sb.Append($"<span class=\"time\">{i * m.SegmentSeconds}–{(i + 1) * m.SegmentSeconds} s</span></div>");
                sb.Append("<code class=\"enc\">");
                if (s.SceneStart) sb.Append($"<span class=\"tok\">{H(AnnotationEntry.StartSceneToken)}</span>");
                sb.Append(string.IsNullOrWhiteSpace(s.Text) ? "<span class=\"bad\">(empty)</span>" : H(s.Text));
                if (s.SceneEnd) sb.Append($"<span class=\"tok\">{H(AnnotationEntry.EndSceneToken)}</span>");
                sb.Append("</code>");
                if (s.Tokens is { } t)
                {
                    sb.Append($"<div class=\"count{(t.Truncated ? " over" : "")}\" data-tokens=\"{t.Count}\">{t.Count} / {t.MaxLength} tokens</div>");
                    if (t.Truncated)
                        sb.Append($"<div class=\"trunc\" data-cut=\"{t.Cut}\" data-end-scene-cut=\"{(s.EndSceneCut ? "true" : "false")}\">truncated: {t.Cut} tokens cut{(s.EndSceneCut ? ", &lt;end_scene&gt; lost" : "")}</div>");
                }
                sb.Append($"<a class=\"out{(s.TextEmbeddingBuilt ? "" : " state-missing")}\" href=\"{toDataset}{H(s.TextEmbeddingPath)}\">{H(s.TextEmbeddingPath)}</a>");
                sb.Append("</div>\n");
            }
            sb.Append("</div>\n");
            if (r.Warnings.Count > 0)
            {
                sb.Append("<ul class=\"warn\">");
                foreach (var d in r.Warnings) sb.Append($"<li>{H(d.Code)} (col {d.Column}): {H(d.Message)}</li>");
                sb.Append("</ul>\n");
            }
            sb.Append("</section>\n");
        }
    }

    /// <summary>The dataset folder as seen from a page (the report may live outside it).</summary>
    static string RelativeToDataset(ReportModel m, string toReport) => toReport + m.DatasetFromReport;

    /// <summary>An SVG histogram with an optional red marker line.</summary>
    static string Histogram(IReadOnlyList<double> values, double lo, double hi, int bins, double? marker, string unit)
    {
        var counts = new int[bins];
        double width = (hi - lo) / bins;
        foreach (double v in values) counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
        int max = Math.Max(1, counts.Max());
        const int W = 360, Hh = 120, pad = 20;
        double bw = (W - 2.0 * pad) / bins;
        var sb = new StringBuilder($"<svg class=\"hist\" width=\"{W}\" height=\"{Hh + 30}\" viewBox=\"0 0 {W} {Hh + 30}\" role=\"img\">");
        sb.Append($"<line x1=\"{pad}\" y1=\"{Hh}\" x2=\"{W - pad}\" y2=\"{Hh}\" stroke=\"#888\"/>");
        for (int i = 0; i < bins; i++)
        {
            if (counts[i] == 0) continue;
            double h = (Hh - 10.0) * counts[i] / max;
            sb.Append(Inv, $"<rect x=\"{pad + i * bw:0.#}\" y=\"{Hh - h:0.#}\" width=\"{Math.Max(1, bw - 1):0.#}\" height=\"{h:0.#}\" fill=\"#4a7bd0\"><title>{DatasetReport.Format(lo + i * width)}–{DatasetReport.Format(lo + (i + 1) * width)}: {counts[i]}</title></rect>");
        }
        if (marker is double mk && mk >= lo && mk <= hi)
        {
            double x = pad + (mk - lo) / (hi - lo) * (W - 2.0 * pad);
            sb.Append(Inv, $"<line class=\"marker\" x1=\"{x:0.#}\" y1=\"4\" x2=\"{x:0.#}\" y2=\"{Hh}\" stroke=\"#d00\" stroke-width=\"2\"/><text x=\"{x - 4:0.#}\" y=\"12\" text-anchor=\"end\" font-size=\"10\" fill=\"#d00\">{DatasetReport.Format(mk)}</text>");
        }
        sb.Append(Inv, $"<text x=\"{pad}\" y=\"{Hh + 14}\" font-size=\"10\">{DatasetReport.Format(lo)}</text><text x=\"{W - pad}\" y=\"{Hh + 14}\" font-size=\"10\" text-anchor=\"end\">{DatasetReport.Format(hi)} {H(unit)}</text>");
        sb.Append(Inv, $"<text x=\"{W / 2}\" y=\"{Hh + 26}\" font-size=\"10\" text-anchor=\"middle\">n = {N(values.Count)}, tallest bar {N(max)}</text></svg>");
        return sb.ToString();
    }

    static string Duration(double seconds) => seconds switch
    {
        >= 3600 => (seconds / 3600).ToString("0.00", Inv) + " h",
        >= 60 => (seconds / 60).ToString("0.0", Inv) + " min",
        _ => seconds.ToString("0", Inv) + " s",
    };

    static string Bytes(long b) => b switch
    {
        >= 1L << 30 => (b / (double)(1L << 30)).ToString("0.00", Inv) + " GiB",
        >= 1L << 20 => (b / (double)(1L << 20)).ToString("0.0", Inv) + " MiB",
        >= 1L << 10 => (b / 1024.0).ToString("0.0", Inv) + " KiB",
        _ => b.ToString(Inv) + " B",
    };

    static string Page(string title, string toReport, Action<StringBuilder> body)
    {
        var sb = new StringBuilder(1 << 16);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append($"<title>{H(title)}</title>\n<style>{Css}</style></head>\n<body>\n<h1>{H(title)}</h1>\n");
        body(sb);
        // Sets data-images on <body> once every picture has loaded or failed (and the time the page
        // took): a headless browser's --dump-dom then shows whether any thumbnail is broken.
        sb.Append("<script>addEventListener('load',function(){var im=document.images,bad=0;for(var i=0;i<im.length;i++)if(!(im[i].complete&&im[i].naturalWidth>0)&&im[i].loading!=='lazy')bad++;document.body.setAttribute('data-images',bad?'broken:'+bad:'loaded');document.body.setAttribute('data-image-count',im.length);document.body.setAttribute('data-load-ms',Math.round(performance.now()));});</script>\n");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    const string Css = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:17px;margin-top:24px;border-bottom:1px solid #ccc}h3{font-size:14px}
.cards{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table.kv,table.list{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}
tr.total td{font-weight:bold}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:6px}figcaption{font-size:12px;max-width:360px}figure.wide figcaption{max-width:none}
.row{background:#fff;border:1px solid #ddd;margin:10px 0;padding:6px}.row.outlier{border-color:#d00}.row.truncated{border-left:4px solid #e90}
.row header{margin-bottom:4px}.dim{color:#777}.stats{font-size:11px;color:#555}
.strip{display:flex;gap:0;overflow-x:auto}
.seg{width:180px;flex:none;border-left:1px dashed #ccc;padding:0 6px;font-size:12px}
.seg.ss{border-left:4px solid #1a9c3c}.seg.se{border-right:4px solid #c0392b}
.pic{position:relative;min-height:40px}.pic img{display:block;width:112px;height:auto}
.mark{position:absolute;top:0;font-style:normal;font-size:10px;color:#fff;padding:0 3px}
.mark.start{left:0;background:#1a9c3c}.mark.end{right:0;background:#c0392b}
.time{font-size:10px;color:#777}
code.enc{display:block;white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:2px;margin:2px 0;max-height:7em;overflow:auto}
.tok{background:#ffe58a;color:#6a4b00;border-radius:2px}
.count.over{color:#c00;font-weight:bold}.trunc{color:#fff;background:#e67e00;padding:0 3px;display:inline-block}
.out{font-size:10px;color:#555;word-break:break-all}
.badge{font-size:11px;padding:0 4px;border-radius:3px;background:#dfe}.badge.bad,.badge.state-stale,.badge.state-missing{background:#fdd}
.state-missing{color:#c00}.warn li{color:#8a4b00}.bad{color:#c00}.nothumb{color:#c00;font-size:11px}
""";
}
