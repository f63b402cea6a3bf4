using TorchSharp;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.T5;

/// <summary>The feed-forward activations, by transformers' ACT2FN names.</summary>
public static class T5Activations
{
    /// <summary>GELU with the tanh approximation ("gelu_new"), written as transformers writes it.</summary>
    public static Tensor GeluTanh(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var inner = Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * torch.pow(x, 3.0));
        return (0.5 * x * (1.0 + torch.tanh(inner))).MoveToOuterDisposeScope();
    }

    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,
        "gelu" => x => nn.functional.gelu(x),
        "relu" => x => nn.functional.relu(x),
        "silu" => x => nn.functional.silu(x),
        _ => throw new ArgumentException($"unsupported activation '{name}'", nameof(name)),
    };
}
