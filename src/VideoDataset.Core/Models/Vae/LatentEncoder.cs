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
    /// Encodes one video. Throws a DiagnosticException for the first error of the conformance check
    /// (VDS2003-2005) or of reading (VDS2001, VDS2002, VDS2007); warnings (VDS2006) go to <paramref name="warnings"/>.
    /// </summary>
    public TensorData EncodeFile(string videoPath, VideoSpec spec, int chunkFrames, ICollection<Diagnostic>? warnings = null, VideoProbe? probe = null)
    {
        probe ??= VideoProbe.Probe(videoPath); // a caller that already probed (to check the annotation) passes it on
        var diagnostics = VideoConformance.Check(probe, spec);
        if (diagnostics.FirstOrDefault(d => d.Severity == Severity.Error) is { } error) throw new DiagnosticException(error);
        foreach (var d in diagnostics) warnings?.Add(d);
        int frames = VideoConformance.FramesToEncode(probe.FrameCount, spec);
        int ratio = (int)_encoder.Config.TemporalCompressionRatio;
        IReadOnlyList<(int Start, int Count)> plan;
        try { plan = CogVideoXEncoder3D.PlanChunks(frames, chunkFrames, ratio); }
        catch (ArgumentException e) { throw new DiagnosticException(Diagnostic.Error("VDS2008", videoPath, 0, 0, e.Message)); }

        using var noGrad = no_grad();
        using var reader = new VideoFrameReader(videoPath, spec.Width, spec.Height, padToFrames: frames);
        var latentChunks = new List<Tensor>();
        _encoder.ResetCache();
        try
        {
            foreach (var (_, count) in plan)
            {
                using var scope = NewDisposeScope();
                var chunk = reader.ReadChunk(count);
                if (chunk is null || chunk.shape[2] != count)
                    throw new DiagnosticException(Diagnostic.Error("VDS2007", videoPath, 0, 0,
                        $"ffmpeg decoded {reader.FramesDecoded} frames, ffprobe counted {probe.FrameCount}"));
                var latent = _encoder.forward(chunk.to(_computeType, _device));
                // [1, 2C, t, h, w] -> [t, 2C, h, w]; kept on the CPU in float32 until the end, a few MB at most.
                latentChunks.Add(latent.squeeze(0).permute(1, 0, 2, 3).to(ScalarType.Float32).cpu().contiguous().DetachFromDisposeScope());
            }
            if (reader.ReadChunk(1) is { } extra)
            {
                extra.Dispose();
                throw new DiagnosticException(Diagnostic.Error("VDS2007", videoPath, 0, 0,
                    $"ffmpeg decoded more frames than the {probe.FrameCount} ffprobe counted"));
            }
            using var all = cat(latentChunks, 0);
            return TorchConvert.FromTorch(all, TensorDType.BFloat16);
        }
        finally
        {
            foreach (var t in latentChunks) t.Dispose();
            _encoder.ResetCache();
        }
    }

    public void Dispose() => _encoder.Dispose();
}
