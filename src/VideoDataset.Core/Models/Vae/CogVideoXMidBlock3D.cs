using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>diffusers <c>CogVideoXMidBlock3D</c> in the encoder: <c>resnets.0</c> and <c>resnets.1</c> at constant width.</summary>
public sealed class CogVideoXMidBlock3D : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<CogVideoXResnetBlock3D> resnets;

    public CogVideoXMidBlock3D(long channels, int numLayers, long groups, double eps, Device? device = null) : base(nameof(CogVideoXMidBlock3D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => new CogVideoXResnetBlock3D(channels, channels, groups, eps, device)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, consumeInput: false);

    /// <summary><see cref="forward"/>, disposing <paramref name="input"/> as soon as the first ResNet block is done with it.</summary>
    internal Tensor Forward(Tensor input, bool consumeInput) => CogVideoXResnetBlock3D.Chain(resnets, input, consumeInput);
}
