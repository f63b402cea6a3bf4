namespace VideoDataset.Core.Video;

/// <summary>What every input video must be (DESIGN §1): frame rate, segment length in seconds and frame size.</summary>
public sealed record VideoSpec(int Fps, int SegmentSeconds, int Width, int Height)
{
    /// <summary>Frames in one segment (Fps * SegmentSeconds).</summary>
    public int SegmentFrames => Fps * SegmentSeconds;
}
