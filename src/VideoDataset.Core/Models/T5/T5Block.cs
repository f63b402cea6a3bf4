using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>One encoder block: <c>layer.0</c> self-attention, <c>layer.1</c> feed-forward.</summary>
public sealed class T5Block : nn.Module
{
    readonly ModuleList<nn.Module> layer;
    readonly T5LayerSelfAttention _selfAttention;
    readonly T5LayerFF _feedForward;

    public T5Block(T5Config config, bool hasRelativeAttentionBias, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Block))
    {
        _selfAttention = new T5LayerSelfAttention(config, hasRelativeAttentionBias, device, dtype);
        _feedForward = new T5LayerFF(config, device, dtype);
        layer = new ModuleList<nn.Module>(_selfAttention, _feedForward);
        register_module(nameof(layer), layer);
    }

    public (Tensor Output, Tensor PositionBias) forward(Tensor hiddenStates, Tensor? positionBias)
    {
        using var scope = torch.NewDisposeScope();
        var (x, bias) = _selfAttention.forward(hiddenStates, positionBias);
        x = ClampFloat16(x);
        x = ClampFloat16(_feedForward.forward(x));
        return (x.MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope());
    }

    /// <summary>transformers keeps float16 activations finite (just below the largest half) so one overflow does not poison the rest.</summary>
    static Tensor ClampFloat16(Tensor x)
    {
        if (x.dtype != ScalarType.Float16) return x;
        double max = 65504.0;
        double clamp = torch.isinf(x).any().item<bool>() ? max - 1000 : max;
        return x.clamp(-clamp, clamp);
    }
}
