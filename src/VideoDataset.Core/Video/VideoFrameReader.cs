using System.Diagnostics;
using System.Text;
using TorchSharp;
using VideoDataset.Core.Diagnostics;
using static TorchSharp.torch;

namespace VideoDataset.Core.Video;

/// <summary>
/// Streams a video's frames from <c>ffmpeg -f rawvideo -pix_fmt rgb24</c> in chunks, as float32
/// tensors [1, 3, N, H, W] scaled to [-1, 1] (x/255*2-1), holding one chunk at a time.
/// </summary>
public sealed class VideoFrameReader : IDisposable
{
    readonly string _path;
    readonly int _width, _height, _padTo;
    readonly Process _ffmpeg;
    readonly Stream _stdout;
    readonly StringBuilder _stderr = new();
    byte[]? _lastFrame;
    bool _ended;

    /// <summary>Frames handed out so far, padding included.</summary>
    public int FramesRead { get; private set; }

    /// <summary>Frames ffmpeg decoded so far.</summary>
    public int FramesDecoded { get; private set; }

    int FrameBytes => _width * _height * 3;

    /// <summary>
    /// Starts ffmpeg on <paramref name="path"/>, whose frames must be <paramref name="width"/>x<paramref name="height"/>.
    /// With <paramref name="padToFrames"/> above the decoded count, the last frame is repeated up to it.
    /// </summary>
    public VideoFrameReader(string path, int width, int height, int padToFrames = 0)
    {
        _path = path; _width = width; _height = height; _padTo = padToFrames;
        // Passthrough: hand out each decoded frame once, never duplicated or dropped to fit a rate.
        _ffmpeg = FfmpegTools.Start("ffmpeg", new[]
        {
            "-v", "error", "-nostdin", "-noautorotate", "-i", path, "-map", "0:v:0",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        });
        _ffmpeg.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _ffmpeg.BeginErrorReadLine();
        _stdout = _ffmpeg.StandardOutput.BaseStream;
    }

    /// <summary>Up to <paramref name="frames"/> next frames as [1, 3, n, H, W] float32 on the CPU; null at the end.</summary>
    public Tensor? ReadChunk(int frames) => ReadRgb(frames) is { } rgb ? ToTensor(rgb) : null;

    /// <summary>
    /// Up to <paramref name="frames"/> next frames as rgb24 bytes, null at the end. Touches no tensor, so a
    /// background thread can decode ahead of the encoder (<see cref="PrefetchingFrameReader"/>).
    /// </summary>
    public RgbFrames? ReadRgb(int frames)
    {
        var buffer = new byte[(long)frames * FrameBytes];
        int n = 0;
        while (n < frames && !_ended)
        {
            int got = _stdout.ReadAtLeast(buffer.AsSpan(n * FrameBytes, FrameBytes), FrameBytes, throwOnEndOfStream: false);
            if (got == FrameBytes) { n++; FramesDecoded++; continue; }
            _ended = true;
            _ffmpeg.WaitForExit();
            if (_ffmpeg.ExitCode != 0 || got != 0)
                throw Error($"ffmpeg failed after {FramesDecoded} frames (exit code {_ffmpeg.ExitCode}{(got != 0 ? $", {got} stray bytes" : "")}): {FfmpegTools.LastLines(StderrText())}");
        }
        if (n > 0) _lastFrame = buffer.AsSpan((n - 1) * FrameBytes, FrameBytes).ToArray();
        // Past the end: repeat the last frame up to the padded length.
        while (n < frames && _ended && FramesRead + n < _padTo && _lastFrame is not null)
        {
            _lastFrame.CopyTo(buffer.AsSpan(n * FrameBytes));
            n++;
        }
        if (n == 0) return null;
        FramesRead += n;
        return new RgbFrames(buffer, n, _height, _width);
    }

    /// <summary>rgb24 frames to [1, 3, n, H, W] in [-1, 1], as x/255*2-1 in float32.</summary>
    public static Tensor ToTensor(RgbFrames rgb) => ToTensor(rgb.Data, rgb.Count, rgb.Height, rgb.Width);

    /// <summary>rgb24 frames [n, H, W, 3] to [1, 3, n, H, W] in [-1, 1], as x/255*2-1 in float32.</summary>
    internal static Tensor ToTensor(byte[] rgb, int frames, int height, int width)
    {
        using var scope = NewDisposeScope();
        var bytes = tensor(rgb, new long[] { rgb.LongLength }, ScalarType.Byte).narrow(0, 0, (long)frames * height * width * 3);
        var x = bytes.reshape(frames, height, width, 3).permute(3, 0, 1, 2).unsqueeze(0).to(ScalarType.Float32);
        return x.div(255f).mul(2f).sub(1f).contiguous().MoveToOuterDisposeScope();
    }

    DiagnosticException Error(string message) => new(Diagnostic.Error(DiagnosticCodes.VideoDecodeMismatch, _path, 0, 0, message));

    string StderrText() { lock (_stderr) return _stderr.ToString(); }

    /// <summary>Kills ffmpeg, so that a read blocked on another thread returns; safe to call from any thread.</summary>
    public void Stop()
    {
        try { if (!_ffmpeg.HasExited) _ffmpeg.Kill(); } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Stop();
        _ffmpeg.Dispose();
    }
}
