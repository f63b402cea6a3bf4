using System.Diagnostics;
using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Video;

/// <summary>The first video stream of a file as ffprobe sees it.</summary>
public sealed record VideoProbe(string Path, Rational Fps, int Width, int Height, int FrameCount, string Codec)
{
    /// <summary>ffprobe's avg_frame_rate (frames over duration); differs from <see cref="Fps"/> for a variable frame rate.</summary>
    public Rational? AverageFps { get; init; }

    /// <summary>
    /// Runs ffprobe on the first video stream. The frame count is the number of packets ffprobe reads
    /// (<c>-count_packets</c>: exact for the usual containers and codecs, one packet per frame, without
    /// decoding); the frame reader checks the decoded count against it. Errors: VDS2001 (missing or
    /// unreadable file), VDS2002 (no video stream).
    /// </summary>
    public static VideoProbe Probe(string path)
    {
        if (!File.Exists(path))
            throw new DiagnosticException(Diagnostic.Error("VDS2001", path, 0, 0, "video file not found"));
        var (exitCode, stdout, stderr) = FfmpegTools.Run("ffprobe", new[]
        {
            "-v", "error", "-select_streams", "v:0", "-count_packets",
            "-show_entries", "stream=codec_name,width,height,r_frame_rate,avg_frame_rate,nb_read_packets",
            "-of", "json", path,
        });
        if (exitCode != 0)
            throw new DiagnosticException(Diagnostic.Error("VDS2001", path, 0, 0, $"ffprobe cannot read the video: {FfmpegTools.LastLines(stderr)}"));
        using var doc = JsonDocument.Parse(stdout);
        if (!doc.RootElement.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            throw new DiagnosticException(Diagnostic.Error("VDS2002", path, 0, 0, "the file has no video stream"));
        var s = streams[0];
        string? Str(string name) => s.TryGetProperty(name, out var v) ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;
        int Int(string name) => int.TryParse(Str(name), out int v) ? v : 0;

        // r_frame_rate is the stream's nominal rate; avg_frame_rate stands in when ffprobe could not tell it.
        if (!Rational.TryParse(Str("r_frame_rate"), out var fps) || fps.Numerator == 0)
            Rational.TryParse(Str("avg_frame_rate"), out fps);
        Rational? average = Rational.TryParse(Str("avg_frame_rate"), out var avg) && avg.Numerator > 0 ? avg : null;
        return new VideoProbe(path, fps, Int("width"), Int("height"), Int("nb_read_packets"), Str("codec_name") ?? "unknown") { AverageFps = average };
    }
}
