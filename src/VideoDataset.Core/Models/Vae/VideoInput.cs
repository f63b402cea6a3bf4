using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Video;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// A checked video whose frames are being decoded for <see cref="LatentEncoder.Encode"/>: its probe, the
/// warnings of its conformance check, its chunk plan and the reader (which owns ffmpeg until disposed).
/// </summary>
public sealed class VideoInput(string path, VideoProbe probe, IReadOnlyList<Diagnostic> warnings,
                               IReadOnlyList<(int Start, int Count)> plan, PrefetchingFrameReader chunks) : IDisposable
{
    public string Path { get; } = path;
    public VideoProbe Probe { get; } = probe;
    public IReadOnlyList<Diagnostic> Warnings { get; } = warnings;
    public IReadOnlyList<(int Start, int Count)> Plan { get; } = plan;
    public PrefetchingFrameReader Chunks { get; } = chunks;

    public void Dispose() => Chunks.Dispose();
}
