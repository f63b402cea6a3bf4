using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// T5's RMS norm: scale only, no mean subtraction, no bias. The mean square is taken in float32
/// even for half weights (half precision overflows on squares), and the result is cast back to
/// the weight's dtype before the scale, as transformers does.
/// </summary>
public sealed class T5LayerNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly double _eps;

    public T5LayerNorm(long hiddenSize, double eps, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerNorm))
    {
        weight = new Parameter(torch.ones(hiddenSize, dtype: dtype, device: device), requires_grad: false);
        register_parameter(nameof(weight), weight);
        _eps = eps;
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        using var scope = torch.NewDisposeScope();
        var variance = hiddenStates.to(ScalarType.Float32).pow(2).mean([-1], keepdim: true);
        var normed = hiddenStates * torch.rsqrt(variance + _eps);
        if (weight.dtype is ScalarType.Float16 or ScalarType.BFloat16) normed = normed.to(weight.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
