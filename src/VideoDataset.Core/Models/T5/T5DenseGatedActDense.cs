using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>T5 v1.1 feed-forward: wo(act(wi_0 x) * wi_1 x), no biases.</summary>
public sealed class T5DenseGatedActDense : nn.Module<Tensor, Tensor>
{
    readonly Linear wi_0, wi_1, wo;
    readonly Func<Tensor, Tensor> _act;
    readonly ScalarType _computeType;

    public T5DenseGatedActDense(T5Config config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = nn.Linear(config.DModel, config.DFf, hasBias: false, device: device, dtype: dtype);
        wi_1 = nn.Linear(config.DModel, config.DFf, hasBias: false, device: device, dtype: dtype);
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false, device: device, dtype: dtype);
        register_module(nameof(wi_0), wi_0);
        register_module(nameof(wi_1), wi_1);
        register_module(nameof(wo), wo);
        _act = T5Activations.Get(config.DenseActFn);
        _computeType = dtype;
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        using var scope = torch.NewDisposeScope();
        var gated = _act(ModelWeights.Linear(wi_0, hiddenStates)) * ModelWeights.Linear(wi_1, hiddenStates);
        if (gated.dtype != _computeType) gated = gated.to(_computeType);
        return ModelWeights.Linear(wo, gated).MoveToOuterDisposeScope();
    }
}

/// <summary>Original T5 feed-forward ("relu" configs): wo(act(wi x)), no biases.</summary>
public sealed class T5DenseActDense : nn.Module<Tensor, Tensor>
{
    readonly Linear wi, wo;
    readonly Func<Tensor, Tensor> _act;
    readonly ScalarType _computeType;

    public T5DenseActDense(T5Config config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(T5DenseActDense))
    {
        wi = nn.Linear(config.DModel, config.DFf, hasBias: false, device: device, dtype: dtype);
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false, device: device, dtype: dtype);
        register_module(nameof(wi), wi);
        register_module(nameof(wo), wo);
        _act = T5Activations.Get(config.DenseActFn);
        _computeType = dtype;
    }

    public override Tensor forward(Tensor hiddenStates)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = _act(ModelWeights.Linear(wi, hiddenStates));
        if (hidden.dtype != _computeType) hidden = hidden.to(_computeType);
        return ModelWeights.Linear(wo, hidden).MoveToOuterDisposeScope();
    }
}
