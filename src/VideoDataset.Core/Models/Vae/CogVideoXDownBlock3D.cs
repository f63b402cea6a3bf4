using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models.Vae;

/// <summary>diffusers <c>CogVideoXDownBlock3D</c>: <c>resnets.N</c>, then <c>downsamplers.0</c> unless it is the last block.</summary>
public sealed class CogVideoXDownBlock3D : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<CogVideoXResnetBlock3D> resnets;
    readonly ModuleList<CogVideoXDownsample3D>? downsamplers;

    public CogVideoXDownBlock3D(long inChannels, long outChannels, int numLayers, long groups, double eps, bool addDownsample, bool compressTime,
        Device? device = null)
        : base(nameof(CogVideoXDownBlock3D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(i => new CogVideoXResnetBlock3D(i == 0 ? inChannels : outChannels, outChannels, groups, eps, device)).ToArray());
        if (addDownsample)
            downsamplers = nn.ModuleList(new CogVideoXDownsample3D(outChannels, outChannels, compressTime, device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => Forward(input, consumeInput: false);

    /// <summary><see cref="forward"/>, disposing <paramref name="input"/> as soon as the first ResNet block is done with it.</summary>
    internal Tensor Forward(Tensor input, bool consumeInput)
    {
        var h = CogVideoXResnetBlock3D.Chain(resnets, input, consumeInput);
        if (downsamplers is not null)
            foreach (var down in downsamplers) h = down.Forward(h, consumeInput: true);
        return h;
    }
}
