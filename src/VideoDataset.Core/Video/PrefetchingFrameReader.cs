using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace VideoDataset.Core.Video;

/// <summary>
/// Hands out a video's chunks in a fixed order of sizes, decoded by a background thread that stays at most
/// <see cref="Ahead"/> chunks ahead: ffmpeg decodes the next chunk while the encoder runs on this one, and
/// memory stays bounded (the chunk being read, the queued ones, the one handed out). The background thread
/// only moves bytes; tensors are made on the caller's thread, where its dispose scopes are.
/// After the planned sizes it reads one frame more, so a caller can check that the video has ended.
/// Errors of reading reach the caller at the chunk where they happened, as the same exception.
/// </summary>
public sealed class PrefetchingFrameReader : IDisposable
{
    /// <summary>Chunks decoded and queued ahead of the one the caller is working on.</summary>
    public const int Ahead = 1;

    sealed record Item(RgbFrames? Frames, int FramesDecoded, ExceptionDispatchInfo? Error);

    readonly VideoFrameReader _reader;
    readonly IReadOnlyList<int> _sizes;
    readonly BlockingCollection<Item>? _queue;
    readonly CancellationTokenSource _cancel = new();
    readonly Task? _producer;
    int _next;

    /// <summary>
    /// Reads <paramref name="sizes"/> frames at a time, then one frame more, from <paramref name="reader"/>, which
    /// this object owns from now on. With <paramref name="background"/> false every read happens in the caller's
    /// call, as a plain reader does (kept to measure the difference).
    /// </summary>
    public PrefetchingFrameReader(VideoFrameReader reader, IReadOnlyList<int> sizes, bool background = true)
    {
        _reader = reader;
        _sizes = [.. sizes, 1];
        if (!background) return;
        _queue = new BlockingCollection<Item>(Ahead);
        _producer = Task.Factory.StartNew(Produce, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Time the caller spent in <see cref="ReadChunk"/> waiting for frames (decoding included when not in the background).</summary>
    public TimeSpan Waited { get; private set; }

    /// <summary>The part of <see cref="Waited"/> spent on the first chunk (ffmpeg's start included).</summary>
    public TimeSpan WaitedForFirst { get; private set; }

    /// <summary>Frames ffmpeg had decoded when the last chunk handed out was read.</summary>
    public int FramesDecoded { get; private set; }

    void Produce()
    {
        try
        {
            foreach (int size in _sizes)
            {
                var item = Read(size);
                _queue!.Add(item, _cancel.Token);
                if (item.Frames is null) break;
            }
        }
        catch (OperationCanceledException) { }
        finally { _queue!.CompleteAdding(); }
    }

    Item Read(int size)
    {
        try
        {
            var frames = _reader.ReadRgb(size);
            return new Item(frames, _reader.FramesDecoded, null);
        }
        catch (Exception e)
        {
            return new Item(null, _reader.FramesDecoded, ExceptionDispatchInfo.Capture(e));
        }
    }

    /// <summary>
    /// The next chunk, whose size must be the next of the planned sizes (1 after them): [1, 3, n, H, W] float32 on
    /// the CPU with n at most that size, or null at the end of the video.
    /// </summary>
    public Tensor? ReadChunk(int frames)
    {
        if (_next >= _sizes.Count || _sizes[_next] != frames)
            throw new InvalidOperationException($"chunk {_next} was planned with {(_next < _sizes.Count ? _sizes[_next] : 0)} frames, not {frames}");
        _next++;
        var watch = Stopwatch.StartNew();
        Item item;
        if (_queue is null) item = Read(frames);
        else if (!_queue.TryTake(out item!, Timeout.Infinite)) item = new Item(null, FramesDecoded, null);
        Waited += watch.Elapsed;
        if (_next == 1) WaitedForFirst = watch.Elapsed;
        FramesDecoded = item.FramesDecoded;
        item.Error?.Throw();
        return item.Frames is { } rgb ? VideoFrameReader.ToTensor(rgb) : null;
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _reader.Stop(); // a read blocked on ffmpeg's output returns
        try { _producer?.Wait(); } catch (AggregateException) { }
        _reader.Dispose();
        _queue?.Dispose();
        _cancel.Dispose();
    }
}
