using TorchSharp;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Video;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Vae;

[TestClass]
[TestCategory("Reference")]
public class VideoReadingTests
{
    static readonly VideoSpec Spec = new(Fps: 16, SegmentSeconds: 3, Width: 128, Height: 80);

    static readonly Lazy<(string Dir, string Clip49, string Clip48)> Clips = new(() =>
    {
        string dir = VaeTestSupport.NewTempDir("clips");
        return (dir, VaeTestSupport.MakeClip(dir, "c49.mkv", 128, 80, 16, 49), VaeTestSupport.MakeClip(dir, "c48.mkv", 128, 80, 16, 48));
    });

    [TestMethod]
    public void ProbeReportsRateSizeExactFrameCountAndCodec()
    {
        var p = VideoProbe.Probe(Clips.Value.Clip49);
        Assert.AreEqual(new Rational(16, 1), p.Fps);
        Assert.AreEqual(128, p.Width);
        Assert.AreEqual(80, p.Height);
        Assert.AreEqual(49, p.FrameCount);
        Assert.AreEqual("ffv1", p.Codec);
        Assert.AreEqual(48, VideoProbe.Probe(Clips.Value.Clip48).FrameCount);

        string dir = VaeTestSupport.NewTempDir("mp4");
        string mp4 = Path.Combine(dir, "x.mp4");
        VaeTestSupport.Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001",
            "-frames:v", "97", "-c:v", "libx264", "-bf", "2", mp4);
        p = VideoProbe.Probe(mp4);
        Assert.AreEqual(new Rational(30000, 1001), p.Fps);
        Assert.AreEqual(97, p.FrameCount);
        Assert.AreEqual("h264", p.Codec);
    }

    [TestMethod]
    public void UnreadableFilesAndAudioOnlyFilesAreErrors()
    {
        string dir = VaeTestSupport.NewTempDir("bad");
        var e = Assert.ThrowsExactly<DiagnosticException>(() => VideoProbe.Probe(Path.Combine(dir, "none.mp4")));
        Assert.AreEqual("VDS2001", e.Diagnostic.Code);
        string junk = Path.Combine(dir, "junk.mp4");
        File.WriteAllText(junk, "not a video");
        e = Assert.ThrowsExactly<DiagnosticException>(() => VideoProbe.Probe(junk));
        Assert.AreEqual("VDS2001", e.Diagnostic.Code);
        Assert.AreEqual(junk, e.Diagnostic.File);
        string audio = Path.Combine(dir, "audio.mka");
        VaeTestSupport.Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=0.5", audio);
        e = Assert.ThrowsExactly<DiagnosticException>(() => VideoProbe.Probe(audio));
        Assert.AreEqual("VDS2002", e.Diagnostic.Code);
    }

    [TestMethod]
    public void ConformanceFollowsDesignSection1()
    {
        VideoProbe P(int frames, int w = 128, int h = 80, long fpsNum = 16, long fpsDen = 1) => new("v.mp4", new Rational(fpsNum, fpsDen), w, h, frames, "h264");
        Assert.AreEqual(0, VideoConformance.Check(P(49), Spec).Count);
        Assert.AreEqual(0, VideoConformance.Check(P(145), Spec).Count);
        Assert.AreEqual(0, VideoConformance.Check(P(1009), Spec).Count);

        var warn = VideoConformance.Check(P(48), Spec).Single();
        Assert.AreEqual(Severity.Warning, warn.Severity);
        Assert.AreEqual("VDS2006", warn.Code);
        Assert.AreEqual(49, VideoConformance.FramesToEncode(48, Spec));
        Assert.AreEqual(49, VideoConformance.FramesToEncode(49, Spec));

        foreach (int bad in new[] { 0, 1, 17, 47, 50, 64, 65 })
        {
            var d = VideoConformance.Check(P(bad), Spec).Single();
            Assert.AreEqual("VDS2005", d.Code, bad.ToString());
            Assert.AreEqual(Severity.Error, d.Severity);
            StringAssert.Contains(d.Message, $"has {bad} frames");
            StringAssert.Contains(d.Message, "49");
        }
        var fps = VideoConformance.Check(P(49, fpsNum: 30000, fpsDen: 1001), Spec).Single();
        Assert.AreEqual("VDS2003", fps.Code);
        Assert.AreEqual("v.mp4: error VDS2003: frame rate is 30000/1001 fps, expected 16 fps", fps.ToString());
        var size = VideoConformance.Check(P(49, w: 720, h: 480), Spec).Single();
        Assert.AreEqual("VDS2004", size.Code);
        StringAssert.Contains(size.Message, "720x480, expected 128x80");
        Assert.AreEqual(3, VideoConformance.Check(P(50, 720, 480, 24), Spec).Count);
    }

    [TestMethod]
    public void FrameReaderStreamsExactPixelsInChunksAndPadsWithTheLastFrame()
    {
        byte[] raw = VaeTestSupport.DecodeAll(Clips.Value.Clip48);
        Assert.AreEqual(48 * 128 * 80 * 3, raw.Length);
        using var all = VideoFrameReader.ToTensor(raw, 48, 80, 128);
        // x/255*2-1 of the first red value.
        Assert.AreEqual(raw[0] / 255f * 2f - 1f, all[0, 0, 0, 0, 0].item<float>());

        using var reader = new VideoFrameReader(Clips.Value.Clip48, 128, 80, padToFrames: 49);
        var sizes = new List<long>();
        var chunks = new List<Tensor>();
        while (reader.ReadChunk(16) is { } chunk) { sizes.Add(chunk.shape[2]); chunks.Add(chunk); }
        CollectionAssert.AreEqual(new long[] { 16, 16, 16, 1 }, sizes);
        Assert.AreEqual(48, reader.FramesDecoded);
        Assert.AreEqual(49, reader.FramesRead);
        using var joined = cat(chunks, 2);
        CollectionAssert.AreEqual(new long[] { 1, 3, 49, 80, 128 }, joined.shape);
        Assert.IsTrue(joined.narrow(2, 0, 48).eq(all).all().item<bool>());
        Assert.IsTrue(joined.narrow(2, 48, 1).eq(all.narrow(2, 47, 1)).all().item<bool>());
        Assert.IsTrue(joined.min().item<float>() >= -1f && joined.max().item<float>() <= 1f);
    }

    [TestMethod]
    public void EncodeFileGivesBFloat16TimeFirstLatentsEqualToEncodingTheDecodedFrames()
    {
        using var latents = LatentEncoder.Load(VaeTestSupport.TinyVaeDir, CPU);
        var warnings = new List<Diagnostic>();
        var data = latents.EncodeFile(Clips.Value.Clip49, Spec, 16, warnings);
        Assert.AreEqual(TensorDType.BFloat16, data.DType);
        CollectionAssert.AreEqual(new long[] { 13, 32, 10, 16 }, data.Shape);
        Assert.AreEqual(0, warnings.Count);

        byte[] raw = VaeTestSupport.DecodeAll(Clips.Value.Clip49);
        using var video = VideoFrameReader.ToTensor(raw, 49, 80, 128);
        using var expected = latents.Encoder.Encode(video, 16).squeeze(0).permute(1, 0, 2, 3);
        CollectionAssert.AreEqual(TorchConvert.FromTorch(expected, TensorDType.BFloat16).Bytes, data.Bytes);
        Assert.IsTrue(data.ToFloat32().Any(v => v != 0f));
    }

    [TestMethod]
    public void EncodeFilePadsAFps_x_L_VideoWithAWarning()
    {
        using var latents = LatentEncoder.Load(VaeTestSupport.TinyVaeDir, CPU);
        var warnings = new List<Diagnostic>();
        var data = latents.EncodeFile(Clips.Value.Clip48, Spec, 16, warnings);
        CollectionAssert.AreEqual(new long[] { 13, 32, 10, 16 }, data.Shape);
        Assert.AreEqual("VDS2006", warnings.Single().Code);

        byte[] raw = VaeTestSupport.DecodeAll(Clips.Value.Clip48);
        byte[] padded = raw.Concat(raw.AsSpan(raw.Length - 128 * 80 * 3).ToArray()).ToArray();
        using var video = VideoFrameReader.ToTensor(padded, 49, 80, 128);
        using var expected = latents.Encoder.Encode(video, 16).squeeze(0).permute(1, 0, 2, 3);
        CollectionAssert.AreEqual(TorchConvert.FromTorch(expected, TensorDType.BFloat16).Bytes, data.Bytes);
    }

    [TestMethod]
    public void BFloat16ComputeStaysCloseToFloat32()
    {
        // The CUDA path computes in bf16 like the reference; the dtype plumbing is the same on the CPU.
        using var f32 = LatentEncoder.Load(VaeTestSupport.TinyVaeDir, CPU);
        using var bf16 = new LatentEncoder(VaeLoader.LoadEncoder(VaeTestSupport.TinyVaeDir, CPU, ScalarType.BFloat16), CPU, ScalarType.BFloat16);
        Assert.AreEqual(ScalarType.BFloat16, bf16.Encoder.state_dict()["conv_in.conv.weight"].dtype);
        var a = f32.EncodeFile(Clips.Value.Clip49, Spec, 16).ToFloat32();
        var b = bf16.EncodeFile(Clips.Value.Clip49, Spec, 16).ToFloat32();
        Assert.AreEqual(a.Length, b.Length);
        float scale = a.Max(Math.Abs);
        double meanError = a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
        Assert.IsTrue(meanError < 0.05 * scale, $"mean |f32 - bf16| = {meanError}, scale {scale}");
        Assert.IsFalse(a.SequenceEqual(b)); // it really ran in bf16
    }

    [TestMethod]
    public void EncodeFileRejectsNonConformingVideos()
    {
        using var latents = LatentEncoder.Load(VaeTestSupport.TinyVaeDir, CPU);
        string dir = VaeTestSupport.NewTempDir("nonconf");
        string wrongRate = VaeTestSupport.MakeClip(dir, "r24.mkv", 128, 80, 24, 49);
        var e = Assert.ThrowsExactly<DiagnosticException>(() => latents.EncodeFile(wrongRate, Spec, 16));
        Assert.AreEqual("VDS2003", e.Diagnostic.Code);
        Assert.AreEqual(wrongRate, e.Diagnostic.File);
        string wrongCount = VaeTestSupport.MakeClip(dir, "n45.mkv", 128, 80, 16, 45);
        e = Assert.ThrowsExactly<DiagnosticException>(() => latents.EncodeFile(wrongCount, Spec, 16));
        Assert.AreEqual("VDS2005", e.Diagnostic.Code);
        // A chunk length that splits a group of 4 frames is refused before anything is encoded.
        e = Assert.ThrowsExactly<DiagnosticException>(() => latents.EncodeFile(Clips.Value.Clip49, Spec, 6));
        Assert.AreEqual("VDS2008", e.Diagnostic.Code);
    }

    [TestMethod]
    public void PrefetchingReaderHandsOutThePlainReadersChunksAndCanBeDroppedEarly()
    {
        int[] sizes = [17, 16, 16];
        foreach (bool background in new[] { true, false })
        {
            using var expected = new VideoFrameReader(Clips.Value.Clip48, 128, 80, padToFrames: 49);
            using var ahead = new PrefetchingFrameReader(new VideoFrameReader(Clips.Value.Clip48, 128, 80, padToFrames: 49), sizes, background);
            foreach (int size in sizes)
            {
                using var a = ahead.ReadChunk(size)!;
                using var b = expected.ReadChunk(size)!;
                CollectionAssert.AreEqual(b.shape, a.shape);
                Assert.IsTrue(a.eq(b).all().item<bool>());
            }
            Assert.IsNull(ahead.ReadChunk(1)); // the end, checked with one frame more
            Assert.AreEqual(48, ahead.FramesDecoded);
            Assert.ThrowsExactly<InvalidOperationException>(() => ahead.ReadChunk(1));
        }
        // Dropped after one chunk while the background thread waits to queue the next: Dispose returns.
        var dropped = new PrefetchingFrameReader(new VideoFrameReader(Clips.Value.Clip48, 128, 80, padToFrames: 49), [1, 1, 1, 1]);
        dropped.ReadChunk(1)!.Dispose();
        Assert.IsTrue(Task.Run(dropped.Dispose).Wait(TimeSpan.FromSeconds(30)));
    }

    [TestMethod]
    public void DecodingAheadGivesTheSameLatentsAndTheSameReadingDiagnostics()
    {
        using var latents = LatentEncoder.Load(VaeTestSupport.TinyVaeDir, CPU);
        string dir = VaeTestSupport.NewTempDir("ahead");
        string clip97 = VaeTestSupport.MakeClip(dir, "c97.mkv", 128, 80, 16, 97);
        string gone = Path.Combine(dir, "gone.mkv");
        File.Copy(Clips.Value.Clip49, gone);
        var probe49 = VideoProbe.Probe(Clips.Value.Clip49);
        File.Delete(gone);
        // Probes that disagree with the file: more frames decoded than counted, ffmpeg failing.
        var cases = new (string Path, VideoProbe Probe, string Expected)[]
        {
            (clip97, VideoProbe.Probe(clip97) with { FrameCount = 49 }, "ffmpeg decoded more frames than the 49 ffprobe counted"),
            (gone, probe49 with { Path = gone }, "ffmpeg failed after 0 frames"),
        };
        var messages = new Dictionary<bool, List<string>>();
        var outputs = new Dictionary<bool, byte[]>();
        foreach (bool ahead in new[] { true, false })
        {
            latents.DecodeAhead = ahead;
            outputs[ahead] = latents.EncodeFile(clip97, Spec, 16).Bytes.ToArray();
            messages[ahead] = [];
            foreach (var (path, probe, expected) in cases)
            {
                var e = Assert.ThrowsExactly<DiagnosticException>(() => latents.EncodeFile(path, Spec, 16, probe: probe));
                Assert.AreEqual("VDS2007", e.Diagnostic.Code);
                Assert.AreEqual(path, e.Diagnostic.File);
                StringAssert.Contains(e.Diagnostic.Message, expected);
                messages[ahead].Add(e.Diagnostic.ToString());
            }
        }
        CollectionAssert.AreEqual(outputs[false], outputs[true]);
        CollectionAssert.AreEqual(messages[false], messages[true]);
        Assert.IsTrue(latents.LastInputWait > TimeSpan.Zero);
    }
}
