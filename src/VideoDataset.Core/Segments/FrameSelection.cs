namespace VideoDataset.Core.Segments;

/// <summary>
/// Which source frame each output frame is. Output frame i of a segment starting at s is the
/// source frame displayed at time t = s + i/Fps: the last frame whose timestamp is at most t,
/// among the frames before the scene's end (so a padded segment repeats its scene's last frame,
/// and no frame of the next scene leaks in). A sequence is its segments' first Fps·S frames each,
/// then frame Fps·S of its last segment: Fps·L + 1 frames.
/// </summary>
public static class FrameSelection
{
    /// <param name="frameTimes">Display times of the source frames in decode order, relative to the first frame, ascending.</param>
    public static int[] SourceFrames(IReadOnlyList<double> frameTimes, IReadOnlyList<SegmentTiming> segments, int fps, int segmentSeconds)
    {
        int perSegment = fps * segmentSeconds;
        var result = new int[segments.Count * perSegment + 1];
        int o = 0;
        for (int j = 0; j < segments.Count; j++)
        {
            int frames = j == segments.Count - 1 ? perSegment + 1 : perSegment;
            for (int i = 0; i < frames; i++)
                result[o++] = FrameAt(frameTimes, segments[j].Start + (double)i / fps, segments[j].SceneEnd);
        }
        return result;
    }

    /// <summary>The index of the last frame displayed at or before <paramref name="t"/> and before <paramref name="sceneEnd"/>; 0 when none.</summary>
    public static int FrameAt(IReadOnlyList<double> frameTimes, double t, double sceneEnd)
    {
        double limit = Math.Min(t + SegmentPlan.TimeTolerance, sceneEnd - SegmentPlan.TimeTolerance);
        int lo = 0, hi = frameTimes.Count - 1, found = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (frameTimes[mid] <= limit) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }
}
