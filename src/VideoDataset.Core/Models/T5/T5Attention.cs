using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// T5 self-attention: q, k, v, o projections without bias, scores without the 1/sqrt(d) scaling
/// (T5 folds it into the initialisation), plus a learned bias per head indexed by the bucketed
/// key-minus-query distance. Only the first block owns <c>relative_attention_bias</c>; the
/// bias it computes is handed on to every later block. No attention mask: the encoder attends
/// to padding, as the reference pipeline does.
/// </summary>
public sealed class T5Attention : nn.Module
{
    readonly Linear q, k, v, o;
    readonly Embedding? relative_attention_bias;
    readonly int _heads, _dKv, _numBuckets, _maxDistance;
    readonly ScalarType _computeType;

    public T5Attention(T5Config config, bool hasRelativeAttentionBias, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Attention))
    {
        _heads = config.NumHeads;
        _dKv = config.DKv;
        _numBuckets = config.RelativeAttentionNumBuckets;
        _maxDistance = config.RelativeAttentionMaxDistance;
        _computeType = dtype;
        long inner = (long)_heads * _dKv;
        q = nn.Linear(config.DModel, inner, hasBias: false, device: device, dtype: dtype);
        k = nn.Linear(config.DModel, inner, hasBias: false, device: device, dtype: dtype);
        v = nn.Linear(config.DModel, inner, hasBias: false, device: device, dtype: dtype);
        o = nn.Linear(inner, config.DModel, hasBias: false, device: device, dtype: dtype);
        register_module(nameof(q), q);
        register_module(nameof(k), k);
        register_module(nameof(v), v);
        register_module(nameof(o), o);
        if (hasRelativeAttentionBias)
        {
            relative_attention_bias = ModelWeights.Embedding(_numBuckets, _heads, device, dtype);
            register_module(nameof(relative_attention_bias), relative_attention_bias);
        }
    }

    /// <summary>
    /// Bucket of each relative position (key minus query), bidirectional: half the buckets for
    /// keys after the query; in each half, small distances get their own bucket and larger ones
    /// share logarithmically wider buckets up to <paramref name="maxDistance"/>, beyond which
    /// all fall into the last. Computed with the same float32 tensor operations as transformers
    /// so that distances on a bucket boundary land where the reference puts them.
    /// </summary>
    public static Tensor RelativePositionBucket(Tensor relativePosition, int numBuckets, int maxDistance)
    {
        using var scope = torch.NewDisposeScope();
        int half = numBuckets / 2;
        var buckets = (relativePosition > 0).to(ScalarType.Int64) * half;
        var distance = relativePosition.abs();
        int maxExact = half / 2;
        var isSmall = distance < maxExact;
        var large = (torch.log(distance.to(ScalarType.Float32) / maxExact)
                     / Math.Log((double)maxDistance / maxExact)
                     * (half - maxExact)).to(ScalarType.Int64) + maxExact;
        large = torch.minimum(large, torch.full_like(large, half - 1));
        return (buckets + torch.where(isSmall, distance, large)).MoveToOuterDisposeScope();
    }

    /// <summary>The position bias [1, heads, queryLength, keyLength] in the compute dtype.</summary>
    public Tensor ComputeBias(long queryLength, long keyLength)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("only the first block has relative_attention_bias");
        using var scope = torch.NewDisposeScope();
        var device = relative_attention_bias.weight!.device;
        var context = torch.arange(queryLength, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        var memory = torch.arange(keyLength, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var buckets = RelativePositionBucket(memory - context, _numBuckets, _maxDistance);
        var values = relative_attention_bias.forward(buckets).to(_computeType); // [q, k, heads]
        // Contiguous: every block adds it to its scores, which is several times slower from the permuted view.
        return values.permute(2, 0, 1).unsqueeze(0).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Attention over <paramref name="hiddenStates"/> [batch, length, d_model]; returns the output and the position bias used.</summary>
    public (Tensor Output, Tensor PositionBias) forward(Tensor hiddenStates, Tensor? positionBias)
    {
        using var scope = torch.NewDisposeScope();
        long batch = hiddenStates.shape[0], length = hiddenStates.shape[1];
        Tensor Heads(Tensor x) => x.view(batch, length, _heads, _dKv).transpose(1, 2);
        var query = Heads(ModelWeights.Linear(q, hiddenStates));
        var key = Heads(ModelWeights.Linear(k, hiddenStates));
        var value = Heads(ModelWeights.Linear(v, hiddenStates));
        var scores = torch.matmul(query, key.transpose(3, 2));
        positionBias ??= relative_attention_bias is not null
            ? ComputeBias(length, length)
            : torch.zeros(1, _heads, length, length, dtype: scores.dtype, device: scores.device);
        scores.add_(positionBias); // in place: the scores are this call's own, [batch, heads, length, length]
        // Softmax in float32 even for half weights, then back, as the reference does.
        var weights = scores.to(ScalarType.Float32).softmax(-1).to(scores.dtype);
        var context = torch.matmul(weights, value).transpose(1, 2).contiguous().view(batch, length, _heads * _dKv);
        var output = ModelWeights.Linear(o, context);
        return (output.MoveToOuterDisposeScope(), positionBias.MoveToOuterDisposeScope());
    }
}
