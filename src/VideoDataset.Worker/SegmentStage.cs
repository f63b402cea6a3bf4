using VideoDataset.Core.Segments;
using VideoDataset.Core.Worker;

namespace VideoDataset.Worker;

/// <summary>
/// Writes the request's sequence videos, one decoding pass per raw video. A failed sequence is
/// reported alone and the others go on; each finished one is announced with a done line.
/// </summary>
static class SegmentStage
{
    public static int Run(WorkerRequest request)
    {
        var s = request.Settings;
        var progress = new Progress(request.Items.Count);
        int failed = 0;
        foreach (var group in request.Items.GroupBy(i => i.Input, StringComparer.Ordinal))
            SequenceEncoder.Encode(group.Key, group.ToList(), s.Fps, s.SegmentSeconds, s.FrameWidth, s.FrameHeight,
                job => { Console.WriteLine(WorkerProtocol.Done(job)); progress.Finished(job.Label); },
                (job, d) => { Console.WriteLine(d.ToString()); failed++; progress.Finished(job.Label); });
        return failed == 0 ? 0 : 1;
    }
}
