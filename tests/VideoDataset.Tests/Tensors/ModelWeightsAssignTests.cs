using TorchSharp;
using TorchSharp.Modules;
using VideoDataset.Core.Models;
using VideoDataset.Core.Models.Vae;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Tensors;

/// <summary>Parameters replaced by name through the module table a loader builds once per model.</summary>
[TestClass]
[TestCategory("Unit")]
public class ModelWeightsAssignTests
{
    static VaeConfig SmallConfig => new() { BlockOutChannels = [8, 16], DownBlockTypes = ["CogVideoXDownBlock3D", "CogVideoXDownBlock3D"], NormNumGroups = 4, LayersPerBlock = 1, LatentChannels = 2, TemporalCompressionRatio = 2 };

    [TestMethod]
    public void EveryParameterOfAModelIsReplacedInItsOwnModule()
    {
        using var encoder = new CogVideoXEncoder3D(SmallConfig, ModelWeights.Meta);
        var modules = ModelWeights.ModulesByName(encoder);
        Assert.AreSame(encoder, modules[""]);
        var names = encoder.named_parameters().Select(p => p.name).ToList();
        Assert.IsTrue(names.Count > 20);
        using var noGrad = no_grad();
        for (int i = 0; i < names.Count; i++)
        {
            var shape = encoder.named_parameters().First(p => p.name == names[i]).parameter.shape;
            ModelWeights.Assign(modules, names[i], torch.full(shape, (float)i));
        }
        // Each parameter now holds its own value on the CPU, under its old name: none went to another module.
        var after = encoder.named_parameters().ToList();
        CollectionAssert.AreEqual(names, after.Select(p => p.name).ToList());
        for (int i = 0; i < after.Count; i++)
        {
            Assert.AreEqual(DeviceType.CPU, after[i].parameter.device_type, names[i]);
            Assert.AreEqual((float)i, after[i].parameter.flatten()[0].item<float>(), names[i]);
            Assert.IsFalse(after[i].parameter.requires_grad, names[i]);
        }
    }

    [TestMethod]
    public void ARootParameterAndAnUnknownOwner()
    {
        using var linear = nn.Linear(3, 2, device: ModelWeights.Meta);
        var modules = ModelWeights.ModulesByName(linear);
        using (no_grad()) ModelWeights.Assign(modules, "weight", torch.ones(2, 3));
        Assert.AreEqual(DeviceType.CPU, linear.weight.device_type);
        Assert.AreEqual(6f, linear.weight.sum().item<float>());
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ModelWeights.Assign(modules, "decoder.conv.weight", torch.ones(1)));
        StringAssert.Contains(e.Message, "decoder.conv");
    }
}
