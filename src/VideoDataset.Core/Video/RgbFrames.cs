namespace VideoDataset.Core.Video;

/// <summary><paramref name="Count"/> rgb24 frames of <paramref name="Width"/>x<paramref name="Height"/> at the start of <paramref name="Data"/>.</summary>
public sealed record RgbFrames(byte[] Data, int Count, int Height, int Width);
