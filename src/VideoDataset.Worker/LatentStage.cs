using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Video;
using VideoDataset.Core.Worker;

namespace VideoDataset.Worker;

/// <summary>
/// Encodes each video of the request into its latent file. A bad video fails alone: its error is
/// reported and the others go on; finished outputs are never touched again.
/// </summary>
sealed class LatentStage(WorkerRequest request)
{
    public int Run()
    {
        var s = request.Settings;
        var spec = new VideoSpec(s.Fps, s.SegmentSeconds, s.FrameWidth, s.FrameHeight);
        var device = Devices.UseAndReport(s.TorchDevice);
        using var encoder = LatentEncoder.Load(s.VaeModelDir, device);
        var progress = new Progress(request.Items.Count);
        int failed = 0;
        // The next video is probed and its first chunk decoded while this one is encoded; a failure to open
        // it is kept in its task and reported in its turn.
        Task<VideoInput> Open(WorkItem item) => Task.Run(() => encoder.Open(item.Input, spec, s.VaeChunkFrames, CheckLength(item, spec)));
        var items = request.Items;
        Task<VideoInput>? next = items.Count > 0 ? Open(items[0]) : null;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var current = next!;
            next = i + 1 < items.Count ? Open(items[i + 1]) : null;
            try
            {
                using var input = current.GetAwaiter().GetResult();
                TensorData latent = encoder.Encode(input);
                foreach (var w in input.Warnings) Console.WriteLine(w.ToString());
                TorchTensorFile.Write(item.Output, latent, item.Metadata);
                Console.WriteLine(WorkerProtocol.Done(item));
            }
            catch (DiagnosticException e)
            {
                Console.WriteLine(e.Diagnostic.ToString());
                failed++;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.WriteLine(Diagnostic.Error(DiagnosticCodes.LatentWriteFailed, item.Input, 0, 0, $"Encoding failed: {e.Message}").ToString());
                failed++;
            }
            progress.Finished(item.Label);
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The annotation gives one text per segment: the video's length must match their count.</summary>
    VideoProbe CheckLength(WorkItem item, VideoSpec spec)
    {
        var probe = VideoProbe.Probe(item.Input);
        if (VideoConformance.Check(probe, spec).FirstOrDefault(d => d.Severity == Severity.Error) is { } error)
            throw new DiagnosticException(error);
        int seconds = (VideoConformance.FramesToEncode(probe.FrameCount, spec) - 1) / spec.Fps;
        int annotated = item.Segments * spec.SegmentSeconds;
        if (item.Segments > 0 && seconds != annotated)
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.AnnotationTextCountMismatch, request.Settings.AnnotationFile, item.Line, 1,
                $"'{item.Label}' is {seconds} s long ({probe.FrameCount} frames), so {seconds / spec.SegmentSeconds} texts are expected; the line gives {item.Segments}."));
        return probe;
    }
}
