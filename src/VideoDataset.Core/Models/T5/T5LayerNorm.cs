using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>
/// T5's RMS norm: scale only, no mean subtraction, no bias. The mean square is taken in float32
/// even for half weights (half precision overflows on squares), and the result is cast back to
/// the weight's dtype before the scale, as transformers does.
/// </summary>
public sealed class T5LayerNorm : nn.Module<Tensor, Tensor>, IAssignableParameters
{
    Parameter weight;
    readonly double _eps;
    readonly ScalarType _computeType;

    /// <param name="dtype">The compute dtype; the weight may be stored narrower (<see cref="ModelWeights"/>).</param>
    public T5LayerNorm(long hiddenSize, double eps, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerNorm))
    {
        weight = new Parameter(torch.ones(hiddenSize, dtype: dtype, device: device), requires_grad: false);
        register_parameter(nameof(weight), weight);
        _eps = eps;
        _computeType = dtype;
    }

    void IAssignableParameters.Assign(string name, Parameter value)
    {
        if (name != nameof(weight)) throw new ArgumentException($"T5LayerNorm has no parameter '{name}'", nameof(name));
        weight.Dispose();
        weight = value;
        ConditionallyRegisterParameter(nameof(weight), value);
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        using var scope = torch.NewDisposeScope();
        var variance = hiddenStates.to(ScalarType.Float32).pow(2).mean([-1], keepdim: true);
        var normed = hiddenStates * torch.rsqrt(variance + _eps);
        if (_computeType is ScalarType.Float16 or ScalarType.BFloat16) normed = normed.to(_computeType);
        return (ModelWeights.Use(weight, _computeType) * normed).MoveToOuterDisposeScope();
    }
}
