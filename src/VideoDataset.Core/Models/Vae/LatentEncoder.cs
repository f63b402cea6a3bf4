using TorchSharp;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Video;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>
/// Video file to latent file content: probes and checks the video, streams it from ffmpeg chunk by
/// chunk through the encoder and returns the unregularised encoder output [T_lat, 2C, H/8, W/8] as
/// bfloat16. The encoder computes in its own dtype on its own device (float32 on the CPU; bfloat16 on
/// CUDA, as the reference pipeline runs it).
/// </summary>
public sealed class LatentEncoder : IDisposable
{
    readonly CogVideoXEncoder3D _encoder;
    readonly Device _device;
    readonly ScalarType _computeType;

    public LatentEncoder(CogVideoXEncoder3D encoder, Device device, ScalarType computeType)
    {
        _encoder = encoder; _device = device; _computeType = computeType;
    }

    /// <summary>Loads the encoder of <paramref name="vaeDir"/>: float32 on the CPU, bfloat16 on CUDA.</summary>
    public static LatentEncoder Load(string vaeDir, Device device)
    {
        var computeType = ComputeTypes.For(device);
        return new LatentEncoder(VaeLoader.LoadEncoder(vaeDir, device, computeType), device, computeType);
    }

    public CogVideoXEncoder3D Encoder => _encoder;

    /// <summary>
    /// Decode in the background, ahead of the encoder (the default); false reads each chunk when the encoder
    /// asks for it, as before, which only the benchmark uses to measure the difference.
    /// </summary>
    public bool DecodeAhead { get; set; } = true;

    /// <summary>Time the last <see cref="Encode"/> waited for decoded frames.</summary>
    public TimeSpan LastInputWait { get; private set; }

    /// <summary>The part of <see cref="LastInputWait"/> spent on the first chunk.</summary>
    public TimeSpan LastFirstChunkWait { get; private set; }

    /// <summary>
    /// Encodes one video. Throws a DiagnosticException for the first error of the conformance check
    /// (VDS2003-2005) or of reading (VDS2001, VDS2002, VDS2007); warnings (VDS2006) go to <paramref name="warnings"/>.
    /// </summary>
    public TensorData EncodeFile(string videoPath, VideoSpec spec, int chunkFrames, ICollection<Diagnostic>? warnings = null, VideoProbe? probe = null)
    {
        using var input = Open(videoPath, spec, chunkFrames, probe);
        foreach (var d in input.Warnings) warnings?.Add(d);
        return Encode(input);
    }

    /// <summary>
    /// Probes and checks a video and starts decoding it (in the background with <see cref="DecodeAhead"/>), so
    /// that a caller can open the next video while this encoder is busy with the current one. Safe to call
    /// from any thread: it touches no tensor. Throws as <see cref="EncodeFile"/> does for the checks.
    /// </summary>
    public VideoInput Open(string videoPath, VideoSpec spec, int chunkFrames, VideoProbe? probe = null)
    {
        probe ??= VideoProbe.Probe(videoPath); // a caller that already probed (to check the annotation) passes it on
        var diagnostics = VideoConformance.Check(probe, spec);
        if (diagnostics.FirstOrDefault(d => d.Severity == Severity.Error) is { } error) throw new DiagnosticException(error);
        int frames = VideoConformance.FramesToEncode(probe.FrameCount, spec);
        int ratio = (int)_encoder.Config.TemporalCompressionRatio;
        IReadOnlyList<(int Start, int Count)> plan;
        try { plan = CogVideoXEncoder3D.PlanChunks(frames, chunkFrames, ratio); }
        catch (ArgumentException e) { throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VideoChunkLength, videoPath, 0, 0, e.Message)); }
        var reader = new VideoFrameReader(videoPath, spec.Width, spec.Height, padToFrames: frames);
        var chunks = new PrefetchingFrameReader(reader, plan.Select(p => p.Count).ToList(), DecodeAhead);
        return new VideoInput(videoPath, probe, diagnostics, plan, chunks);
    }

    /// <summary>Encodes an opened video (and disposes nothing: the caller owns <paramref name="input"/>).</summary>
    public TensorData Encode(VideoInput input)
    {
        string videoPath = input.Path;
        var reader = input.Chunks;
        using var noGrad = no_grad();
        var latentChunks = new List<Tensor>();
        _encoder.ResetCache();
        try
        {
            foreach (var (_, count) in input.Plan)
            {
                using var scope = NewDisposeScope();
                var chunk = reader.ReadChunk(count);
                if (chunk is null || chunk.shape[2] != count)
                    throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VideoDecodeMismatch, videoPath, 0, 0,
                        $"ffmpeg decoded {reader.FramesDecoded} frames, ffprobe counted {input.Probe.FrameCount}"));
                var latent = _encoder.forward(chunk.to(_computeType, _device));
                // [1, 2C, t, h, w] -> [t, 2C, h, w]; kept on the CPU in float32 until the end, a few MB at most.
                latentChunks.Add(latent.squeeze(0).permute(1, 0, 2, 3).to(ScalarType.Float32).cpu().contiguous().DetachFromDisposeScope());
            }
            if (reader.ReadChunk(1) is { } extra)
            {
                extra.Dispose();
                throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.VideoDecodeMismatch, videoPath, 0, 0,
                    $"ffmpeg decoded more frames than the {input.Probe.FrameCount} ffprobe counted"));
            }
            using var all = cat(latentChunks, 0);
            return TorchConvert.FromTorch(all, TensorDType.BFloat16);
        }
        finally
        {
            LastInputWait = reader.Waited;
            LastFirstChunkWait = reader.WaitedForFirst;
            foreach (var t in latentChunks) t.Dispose();
            _encoder.ResetCache();
        }
    }

    public void Dispose() => _encoder.Dispose();
}
