using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Video;

/// <summary>DESIGN §1: frame rate, size and a frame count of Fps*L+1 for L a multiple of the segment length.</summary>
public static class VideoConformance
{
    /// <summary>
    /// Every problem of <paramref name="probe"/> against <paramref name="spec"/>: VDS2003 (frame rate),
    /// VDS2004 (size), VDS2005 (frame count) errors, or the VDS2006 warning for Fps*L frames, which
    /// <see cref="FramesToEncode"/> pads by repeating the last frame.
    /// </summary>
    public static IReadOnlyList<Diagnostic> Check(VideoProbe probe, VideoSpec spec)
    {
        var result = new List<Diagnostic>();
        string file = probe.Path;
        if (!probe.Fps.EqualsInteger(spec.Fps))
            result.Add(Diagnostic.Error(DiagnosticCodes.VideoFrameRate, file, 0, 0, $"frame rate is {probe.Fps} fps, expected {spec.Fps} fps"));
        // A nominal rate alone does not prove evenly spaced frames: a variable-rate stream averages differently.
        // Containers may count the duration one frame short or long, so allow 1.5 frame periods over the clip.
        else if (probe.AverageFps is { } avg && probe.FrameCount > 0
                 && Math.Abs(probe.FrameCount / avg.Value - probe.FrameCount / (double)spec.Fps) * spec.Fps > 1.5)
            result.Add(Diagnostic.Error(DiagnosticCodes.VideoFrameRate, file, 0, 0,
                $"variable frame rate: nominally {probe.Fps} fps but the frames average {avg.Value:0.###} fps (timestamps unevenly spaced), expected a constant {spec.Fps} fps"));
        if (probe.Width != spec.Width || probe.Height != spec.Height)
            result.Add(Diagnostic.Error(DiagnosticCodes.VideoFrameSize, file, 0, 0, $"frame size is {probe.Width}x{probe.Height}, expected {spec.Width}x{spec.Height}"));
        int n = probe.FrameCount, seg = spec.SegmentFrames;
        if (n > 1 && (n - 1) % seg == 0) { }
        else if (n > 0 && n % seg == 0)
            result.Add(Diagnostic.Warning(DiagnosticCodes.VideoPadded, file, 0, 0,
                $"has {n} frames ({n / seg * spec.SegmentSeconds} s at {spec.Fps} fps) instead of {n + 1}; the last frame is repeated once"));
        else
        {
            result.Add(Diagnostic.Error(DiagnosticCodes.VideoFrameCount, file, 0, 0,
                $"has {n} frames, expected Fps*L+1 frames for a length L that is a multiple of {spec.SegmentSeconds} s " +
                $"({seg + 1}, {2 * seg + 1}, {3 * seg + 1}, ...)"));
        }
        return result;
    }

    /// <summary>The frame count after padding: n for Fps*L+1 frames, n+1 for Fps*L frames.</summary>
    public static int FramesToEncode(int frameCount, VideoSpec spec) =>
        frameCount > 1 && (frameCount - 1) % spec.SegmentFrames == 0 ? frameCount : frameCount + 1;
}
