using System.Globalization;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Video;

namespace VideoDataset.Core.Report;

/// <summary>
/// The filmstrip of a video: one small JPEG per segment, the segment's middle frame, made with
/// ffmpeg. Named by the video's content hash, so an unchanged video is never decoded again and a
/// renamed one reuses its pictures.
/// </summary>
public static class Thumbnails
{
    /// <summary>Bump when the pictures change (size, quality, frame choice).</summary>
    public const string Version = "v1";
    public const int Width = 112;

    /// <summary>Path of segment <paramref name="segment"/>'s thumbnail, relative to the report folder.</summary>
    public static string RelativePath(string videoSha256, int segment) =>
        $"thumbs/{Version}/{videoSha256[..2]}/{videoSha256}-{segment}.jpg";

    /// <summary>Makes the missing thumbnails of one video; returns how many it wrote.</summary>
    public static int Ensure(string reportDir, string videoPath, string videoSha256, int segments, int fps, int segmentSeconds)
    {
        var missing = Enumerable.Range(0, segments)
            .Where(i => !File.Exists(Path.Combine(reportDir, RelativePath(videoSha256, i)))).ToList();
        if (missing.Count == 0) return 0;
        string folder = Path.GetDirectoryName(Path.Combine(reportDir, RelativePath(videoSha256, 0)))!;
        Directory.CreateDirectory(folder);
        // ffmpeg writes into a private temporary folder; each picture is then renamed into place whole.
        string temp = Path.Combine(folder, AtomicFile.TempMarker + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            int framesPerSegment = fps * segmentSeconds;
            string select = string.Join('+', missing.Select(i => $"eq(n\\,{(i * framesPerSegment + framesPerSegment / 2).ToString(CultureInfo.InvariantCulture)})"));
            var (code, _, stderr) = FfmpegTools.Run("ffmpeg", new[]
            {
                "-nostdin", "-v", "error", "-i", videoPath,
                "-vf", $"select='{select}',scale={Width}:-2", "-fps_mode", "passthrough",
                "-q:v", "5", "-f", "image2", Path.Combine(temp, "%d.jpg"),
            });
            if (code != 0)
                throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VideoUnreadable, videoPath, 0, 0, $"ffmpeg cannot make the report's thumbnails: {FfmpegTools.LastLines(stderr)}"));
            int written = 0;
            for (int k = 0; k < missing.Count; k++)
            {
                string made = Path.Combine(temp, (k + 1).ToString(CultureInfo.InvariantCulture) + ".jpg");
                if (!File.Exists(made)) continue; // a short video: its page shows the gap
                File.Move(made, Path.Combine(reportDir, RelativePath(videoSha256, missing[k])), overwrite: true);
                written++;
            }
            return written;
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }
}
