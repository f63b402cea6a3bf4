using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Text;
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
        foreach (var item in request.Items)
        {
            try
            {
                var probe = CheckLength(item, spec);
                var warnings = new List<Diagnostic>();
                TensorData latent = encoder.EncodeFile(item.Input, spec, s.VaeChunkFrames, warnings, probe);
                foreach (var w in warnings) Console.WriteLine(w.ToString());
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
                Console.WriteLine(Diagnostic.Error("VDS2099", item.Input, 0, 0, $"Encoding failed: {e.Message}").ToString());
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
            throw new DiagnosticException(Diagnostic.Error(AnnotationReader.TextCountMismatch, request.Settings.AnnotationFile, item.Line, 1,
                $"'{item.Label}' is {seconds} s long ({probe.FrameCount} frames), so {seconds / spec.SegmentSeconds} texts are expected; the line gives {item.Segments}."));
        return probe;
    }
}

/// <summary>Tokenizes and encodes the request's texts in batches, one embedding file per text.</summary>
sealed class TextStage(WorkerRequest request)
{
    public int Run()
    {
        var s = request.Settings;
        var tokenizer = T5Tokenizer.Load(s.TokenizerDir);
        var device = Devices.UseAndReport(s.TorchDevice);
        int batch = Math.Max(1, s.TextBatchSize), failed = 0;
        using var encoder = T5TextEncoder.Load(s.T5ModelDir, device, batch);
        if (tokenizer.VocabularySize > encoder.Config.VocabSize)
            throw new DiagnosticException(Diagnostic.Error("VDS3201", Path.Combine(s.T5ModelDir, "config.json"), 0, 0,
                $"The tokenizer in '{s.TokenizerDir}' has {tokenizer.VocabularySize} ids, but the T5's vocab_size is {encoder.Config.VocabSize}: expected a tokenizer and a model that belong together."));
        var progress = new Progress(request.Items.Count);
        for (int start = 0; start < request.Items.Count; start += batch)
        {
            var items = request.Items.Skip(start).Take(batch).ToList();
            var ids = items.Select(i => tokenizer.Encode(i.Input, s.TextMaxLength)).ToList();
            TensorData[] embeddings = encoder.Encode(ids);
            for (int i = 0; i < items.Count; i++)
            {
                try
                {
                    TorchTensorFile.Write(items[i].Output, embeddings[i], items[i].Metadata);
                    Console.WriteLine(WorkerProtocol.Done(items[i]));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A full disk or a read-only folder: this output fails alone (the write was atomic), the others go on.
                    Console.WriteLine(Diagnostic.Error("VDS3299", items[i].Output, 0, 0, $"Writing the text embedding failed: {e.Message}").ToString());
                    failed++;
                }
                progress.Finished(items[i].Label);
            }
        }
        return failed == 0 ? 0 : 1;
    }
}

/// <summary>ModelDir=tiny: small deterministic models in the real formats, written once, atomically.</summary>
static class TinyModels
{
    public static int Write(string root)
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        if (File.Exists(Path.Combine(root, ".complete"))) return 0;
        string temp = root + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            TinyVae.Write(Path.Combine(temp, "vae"));
            TinyT5.Write(Path.Combine(temp, "text_encoder"));
            Directory.CreateDirectory(Path.Combine(temp, "tokenizer"));
            using (var source = typeof(T5Tokenizer).Assembly.GetManifestResourceStream("VideoDataset.TinyModels.spiece.model")
                ?? throw new InvalidOperationException("the tiny spiece.model is not embedded in VideoDataset.Core"))
            using (var target = File.Create(Path.Combine(temp, "tokenizer", T5Tokenizer.ModelFile)))
                source.CopyTo(target);
            File.WriteAllText(Path.Combine(temp, ".complete"), "ModelDir=tiny, generator v1\n");
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true); // an incomplete earlier attempt
            Directory.CreateDirectory(Path.GetDirectoryName(root)!);
            Directory.Move(temp, root);
            Console.WriteLine($"VideoDataset.Worker: wrote the tiny models to {root}");
            return 0;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
