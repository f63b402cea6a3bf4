using System.Diagnostics;
using System.Globalization;
using System.Text;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Video;
using VideoDataset.Core.Worker;

namespace VideoDataset.Core.Segments;

/// <summary>
/// Writes sequence videos from a raw video in one decoding pass: ffmpeg decodes every frame once
/// (scaled to cover FrameWidth x FrameHeight, centre-cropped, as raw yuv420p), and each frame goes
/// to every open sequence encoder that takes it (<see cref="FrameSelection"/>), so output frames are
/// exactly the chosen source frames. Each encoder (libx264) writes a temporary file that is renamed
/// into place only when complete, with its key in the container's comment tag.
/// </summary>
public static class SequenceEncoder
{
    public const string EncodeFailed = "VDS6040";
    public const string KeyPrefix = "videodataset-segments:";

    /// <summary>How source frames are scaled to cover the frame size (then centre-cropped).</summary>
    const string ScaleFlags = "bicubic";

    /// <summary>The encoder's quality settings (ffmpeg arguments after -c:v).</summary>
    static readonly string[] X264 = ["libx264", "-preset", "medium", "-crf", "12", "-pix_fmt", "yuv420p"];

    /// <summary>What the encoder does, as the text in every sequence's key: changing the arguments above changes every key.</summary>
    public static readonly string Settings = string.Join(" ", X264) + "; scale=increase+centre-crop " + ScaleFlags;

    /// <summary>Display times of a video's frames, relative to its first frame, ascending (from packet timestamps, no decoding).</summary>
    public static List<double> FrameTimes(string path)
    {
        var (code, stdout, stderr) = FfmpegTools.Run("ffprobe", new[]
        {
            "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path,
        });
        if (code != 0)
            throw new DiagnosticException(Diagnostic.Error("VDS2001", path, 0, 0, $"ffprobe cannot read the video: {FfmpegTools.LastLines(stderr)}"));
        var times = new List<double>();
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (double.TryParse(line.TrimEnd(','), NumberStyles.Float, CultureInfo.InvariantCulture, out double t)) times.Add(t);
        if (times.Count == 0) throw new DiagnosticException(Diagnostic.Error("VDS2002", path, 0, 0, "the file has no video frames with timestamps"));
        times.Sort();
        double first = times[0];
        for (int i = 0; i < times.Count; i++) times[i] -= first;
        return times;
    }

    /// <summary>Duration in seconds of a raw video: the end of its last frame (ffprobe's format duration).</summary>
    public static double Duration(string path)
    {
        var (code, stdout, stderr) = FfmpegTools.Run("ffprobe", new[] { "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path });
        if (code != 0 || !double.TryParse(stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            throw new DiagnosticException(Diagnostic.Error("VDS2001", path, 0, 0, $"ffprobe cannot read the video's duration: {FfmpegTools.LastLines(stderr)}"));
        return d;
    }

    /// <summary>The key a sequence video records, or "" when it records none (or cannot be read).</summary>
    public static string RecordedKey(string path)
    {
        var (code, stdout, _) = FfmpegTools.Run("ffprobe", new[] { "-v", "error", "-show_entries", "format_tags=comment", "-of", "default=nw=1:nk=1", path });
        string comment = stdout.Trim();
        return code == 0 && comment.StartsWith(KeyPrefix, StringComparison.Ordinal) ? comment[KeyPrefix.Length..] : "";
    }

    sealed class Open(WorkItem job, int[] frames)
    {
        public WorkItem Job { get; } = job;
        public int[] Frames { get; } = frames;
        public int Next;
        public Process? Encoder;
        public string Temp = "";
        public readonly StringBuilder Stderr = new();
    }

    /// <summary>
    /// Writes every job of one raw video. <paramref name="done"/> is called for each finished output;
    /// a failure is reported through <paramref name="failed"/> and leaves no output behind.
    /// </summary>
    public static void Encode(string rawPath, IReadOnlyList<WorkItem> jobs, int fps, int segmentSeconds, int width, int height,
        Action<WorkItem> done, Action<WorkItem, Diagnostic> failed)
    {
        List<double> times;
        try { times = FrameTimes(rawPath); }
        catch (DiagnosticException e) { foreach (var j in jobs) failed(j, e.Diagnostic); return; }
        var pending = jobs.Select(j => new Open(j, FrameSelection.SourceFrames(times, j.Timings, fps, segmentSeconds)))
            .OrderBy(o => o.Frames[0]).ToList();
        var active = new List<Open>();
        int last = pending.Max(o => o.Frames[^1]);
        int frameBytes = width * height * 3 / 2;
        var frame = new byte[frameBytes];
        using var decoder = FfmpegTools.Start("ffmpeg", new[]
        {
            "-v", "error", "-nostdin", "-i", rawPath, "-map", "0:v:0", "-fps_mode", "passthrough",
            "-vf", $"scale={width}:{height}:force_original_aspect_ratio=increase:flags={ScaleFlags},crop={width}:{height},setsar=1",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-",
        });
        var decoderErrors = new StringBuilder();
        decoder.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (decoderErrors) decoderErrors.AppendLine(e.Data); };
        decoder.BeginErrorReadLine();
        var stdout = decoder.StandardOutput.BaseStream;
        try
        {
            for (int k = 0; k <= last; k++)
            {
                if (stdout.ReadAtLeast(frame, frameBytes, throwOnEndOfStream: false) != frameBytes) break;
                while (pending.Count > 0 && pending[0].Frames[0] == k)
                {
                    var o = pending[0];
                    pending.RemoveAt(0);
                    if (Start(o, fps, width, height, failed)) active.Add(o);
                }
                foreach (var o in active.ToList())
                {
                    try
                    {
                        while (o.Next < o.Frames.Length && o.Frames[o.Next] == k) { o.Encoder!.StandardInput.BaseStream.Write(frame); o.Next++; }
                    }
                    catch (IOException e) { Fail(o, $"the encoder stopped: {e.Message}", failed); active.Remove(o); continue; }
                    if (o.Next == o.Frames.Length) { Finish(o, done, failed); active.Remove(o); }
                }
            }
        }
        finally
        {
            if (!decoder.HasExited) { try { decoder.Kill(); } catch (InvalidOperationException) { } }
            decoder.WaitForExit();
            // Anything still open did not get all its frames: the video is shorter than its timestamps say.
            foreach (var o in active.Concat(pending))
                Fail(o, $"the raw video decoded into fewer frames than its {times.Count} timestamps (needed frame {o.Frames[Math.Min(o.Next, o.Frames.Length - 1)]}): {FfmpegTools.LastLines(decoderErrors.ToString())}", failed);
        }
    }

    static bool Start(Open o, int fps, int width, int height, Action<WorkItem, Diagnostic> failed)
    {
        try { o.Temp = AtomicFile.NewTempPath(o.Job.Output); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fail(o, $"cannot create its folder: {e.Message}", failed); return false; }
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", $"{width}x{height}", "-r", fps.ToString(CultureInfo.InvariantCulture), "-i", "-",
            "-frames:v", o.Frames.Length.ToString(CultureInfo.InvariantCulture), "-c:v",
        }.Concat(X264).Concat(new[] { "-metadata", "comment=" + KeyPrefix + o.Job.Key, "-f", "mp4", o.Temp }))
            psi.ArgumentList.Add(a);
        try { o.Encoder = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e) { failed(o.Job, Diagnostic.Error("VDS2009", "ffmpeg", 0, 0, $"cannot start ffmpeg: {e.Message}")); return false; }
        o.Encoder!.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (o.Stderr) o.Stderr.AppendLine(e.Data); };
        o.Encoder.BeginErrorReadLine();
        return true;
    }

    static void Finish(Open o, Action<WorkItem> done, Action<WorkItem, Diagnostic> failed)
    {
        o.Encoder!.StandardInput.Close();
        o.Encoder.WaitForExit();
        if (o.Encoder.ExitCode != 0) { Fail(o, $"ffmpeg exited with {o.Encoder.ExitCode}: {FfmpegTools.LastLines(o.Stderr.ToString())}", failed); return; }
        try { AtomicFile.Commit(o.Temp, o.Job.Output); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fail(o, $"cannot put it in place: {e.Message}", failed); return; }
        done(o.Job);
    }

    static void Fail(Open o, string message, Action<WorkItem, Diagnostic> failed)
    {
        if (o.Encoder is { HasExited: false }) { try { o.Encoder.Kill(); o.Encoder.WaitForExit(); } catch (InvalidOperationException) { } }
        AtomicFile.Discard(o.Temp);
        failed(o.Job, Diagnostic.Error(EncodeFailed, o.Job.Output, 0, 0, $"Writing the sequence from '{o.Job.Input}' failed: {message}"));
    }
}
