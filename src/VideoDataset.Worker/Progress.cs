using System.Diagnostics;
using VideoDataset.Core.Worker;

namespace VideoDataset.Worker;

/// <summary>Progress with items done/total and an ETA from the mean time per finished item.</summary>
sealed class Progress(int total)
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    int _done;

    public void Finished(string label)
    {
        _done++;
        TimeSpan? eta = _done < total ? TimeSpan.FromTicks(_clock.Elapsed.Ticks / _done * (total - _done)) : null;
        Console.WriteLine(WorkerProtocol.Progress(_done, total, label, eta));
    }
}
