using TorchSharp;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>Pre-norm feed-forward sublayer with its residual: x + DenseReluDense(layer_norm(x)).</summary>
public sealed class T5LayerFF : nn.Module<Tensor, Tensor>
{
    // transformers keeps the name DenseReluDense for the gated GELU variant too: it is the checkpoint key.
    readonly nn.Module<Tensor, Tensor> DenseReluDense;
    readonly T5LayerNorm layer_norm;

    public T5LayerFF(T5Config config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerFF))
    {
        DenseReluDense = config.IsGatedAct
            ? new T5DenseGatedActDense(config, device, dtype)
            : new T5DenseActDense(config, device, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, device, dtype);
        register_module(nameof(DenseReluDense), DenseReluDense);
        register_module(nameof(layer_norm), layer_norm);
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        using var scope = torch.NewDisposeScope();
        return (hiddenStates + DenseReluDense.forward(layer_norm.forward(hiddenStates))).MoveToOuterDisposeScope();
    }
}
