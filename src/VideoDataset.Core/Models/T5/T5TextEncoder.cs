using TorchSharp;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// Turns padded token id sequences into T5 <c>last_hidden_state</c> embeddings, one bfloat16
/// [length, d_model] tensor per text. Computes in float32 on the CPU and in bfloat16 on CUDA,
/// as the reference pipeline loads the text encoder there.
/// </summary>
public sealed class T5TextEncoder : IDisposable
{
    readonly T5EncoderModel _model;
    readonly Device _device;

    public T5Config Config => _model.Config;
    public int BatchSize { get; }
    public ScalarType ComputeType { get; }

    public T5TextEncoder(T5EncoderModel model, Device device, ScalarType computeType, int batchSize = 4)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be at least 1");
        _model = model; _device = device; ComputeType = computeType; BatchSize = batchSize;
    }

    public static T5TextEncoder Load(string t5Dir, Device device, int batchSize = 4)
    {
        var computeType = ComputeTypes.For(device);
        return new T5TextEncoder(T5EncoderModel.Load(t5Dir, device, computeType), device, computeType, batchSize);
    }

    /// <summary>Embeddings for texts already tokenized and padded to one length (TextMaxLength).</summary>
    public TensorData[] Encode(IReadOnlyList<int[]> tokenIds)
    {
        if (tokenIds.Count == 0) return [];
        int length = tokenIds[0].Length;
        if (length == 0) throw new ArgumentException("token sequences must not be empty", nameof(tokenIds));
        for (int i = 0; i < tokenIds.Count; i++)
        {
            if (tokenIds[i].Length != length)
                throw new ArgumentException($"token sequence {i} has length {tokenIds[i].Length}, expected {length} (all padded alike)", nameof(tokenIds));
            foreach (int id in tokenIds[i])
                if (id < 0 || id >= Config.VocabSize)
                    throw new DiagnosticException(Diagnostic.Error("VDS4320", Config.SourcePath, 0, 0,
                        $"token id {id} is outside the T5 vocabulary (vocab_size {Config.VocabSize}); the tokenizer does not belong to this model"));
        }

        var results = new TensorData[tokenIds.Count];
        using var inference = torch.inference_mode();
        for (int start = 0; start < tokenIds.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, tokenIds.Count - start);
            using var scope = torch.NewDisposeScope();
            var flat = new long[count * length];
            for (int b = 0; b < count; b++)
                for (int t = 0; t < length; t++) flat[b * length + t] = tokenIds[start + b][t];
            var ids = torch.tensor(flat, new long[] { count, length }, dtype: ScalarType.Int64).to(_device);
            var hidden = _model.forward(ids);
            for (int b = 0; b < count; b++)
                results[start + b] = TorchConvert.FromTorch(hidden[b], TensorDType.BFloat16);
        }
        return results;
    }

    public void Dispose() => _model.Dispose();
}
