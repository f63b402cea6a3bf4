using TorchSharp;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>Pre-norm self-attention sublayer with its residual: x + SelfAttention(layer_norm(x)).</summary>
public sealed class T5LayerSelfAttention : nn.Module
{
    readonly T5Attention SelfAttention;
    readonly T5LayerNorm layer_norm;

    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeAttentionBias, device, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, device, dtype);
        register_module(nameof(SelfAttention), SelfAttention);
        register_module(nameof(layer_norm), layer_norm);
    }

    public (Tensor Output, Tensor PositionBias) forward(Tensor hiddenStates, Tensor? positionBias)
    {
        using var scope = torch.NewDisposeScope();
        var (attention, bias) = SelfAttention.forward(layer_norm.forward(hiddenStates), positionBias);
        var output = hiddenStates + attention;
        return (output.MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope());
    }
}
