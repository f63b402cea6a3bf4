using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// The encoder stack: blocks then <c>final_layer_norm</c>. The token embedding belongs to the
/// model (<c>shared</c>); the stack uses it without registering it, so its weight has one name.
/// </summary>
public sealed class T5Stack : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<T5Block> block;
    readonly T5LayerNorm final_layer_norm;
    readonly Embedding _embedTokens;
    readonly ScalarType _computeType;

    public T5Stack(T5Config config, Embedding embedTokens, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Stack))
    {
        _embedTokens = embedTokens;
        _computeType = dtype;
        block = new ModuleList<T5Block>(Enumerable.Range(0, config.NumLayers)
            .Select(i => new T5Block(config, hasRelativeAttentionBias: i == 0, device, dtype)).ToArray());
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, device, dtype);
        register_module(nameof(block), block);
        register_module(nameof(final_layer_norm), final_layer_norm);
    }

    /// <summary>input ids [batch, length] (int64) to last_hidden_state [batch, length, d_model].</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        using var upcastBuffer = WeightUpcastBuffer.Begin(); // every block's BF16 weights upcast into one buffer
        var hidden = _embedTokens.forward(inputIds).to(_computeType); // a lookup: upcasting after it is exact
        Tensor? positionBias = null; // computed by block 0, reused by all later blocks
        foreach (var b in block)
            (hidden, positionBias) = b.forward(hidden, positionBias);
        return final_layer_norm.forward(hidden).MoveToOuterDisposeScope();
    }
}
