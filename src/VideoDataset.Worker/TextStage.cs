using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Text;
using VideoDataset.Core.Worker;

namespace VideoDataset.Worker;

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
            throw new DiagnosticException(Diagnostic.Error(DiagnosticCodes.TokenizerExceedsVocabulary, Path.Combine(s.T5ModelDir, "config.json"), 0, 0,
                $"The tokenizer in '{s.TokenizerDir}' has {tokenizer.VocabularySize} ids, but the T5's vocab_size is {encoder.Config.VocabSize}: expected a tokenizer and a model that belong together."));
        var progress = new Progress(request.Items.Count);
        // The next batch is tokenized on another thread while the encoder runs on this one (one batch ahead at most).
        Task<List<int[]>> Tokenize(int start) => Task.Run(() =>
            request.Items.Skip(start).Take(batch).Select(i => tokenizer.Encode(i.Input, s.TextMaxLength)).ToList());
        Task<List<int[]>>? next = request.Items.Count > 0 ? Tokenize(0) : null;
        for (int start = 0; start < request.Items.Count; start += batch)
        {
            var items = request.Items.Skip(start).Take(batch).ToList();
            var ids = next!.GetAwaiter().GetResult();
            next = start + batch < request.Items.Count ? Tokenize(start + batch) : null;
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
                    Console.WriteLine(Diagnostic.Error(DiagnosticCodes.EmbeddingWriteFailed, items[i].Output, 0, 0, $"Writing the text embedding failed: {e.Message}").ToString());
                    failed++;
                }
                progress.Finished(items[i].Label);
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
