using TorchSharp;
using TorchSharp.Modules;
using VideoDataset.Core.Models;
using static TorchSharp.torch;

namespace VideoDataset.Tests.T5;

/// <summary>
/// The buffer that BF16/F16 weights are upcast into during a forward pass: exact values whatever was in it
/// before (a larger weight, then a smaller one), only inside a scope, and shared by nested scopes.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public class WeightUpcastBufferTests
{
    static Tensor Half(long rows, long columns, int seed)
    {
        manual_seed(seed);
        return randn(rows, columns).mul(3).to(ScalarType.BFloat16);
    }

    [TestMethod]
    public void OutsideAScopeThereIsNoBuffer()
    {
        using var weight = Half(4, 3, 1);
        Assert.IsNull(WeightUpcastBuffer.Upcast(weight, ScalarType.Float32));
        using (WeightUpcastBuffer.Begin()) { }
        Assert.IsNull(WeightUpcastBuffer.Upcast(weight, ScalarType.Float32), "the scope has ended");
    }

    [TestMethod]
    public void UpcastsExactlyWhateverTheBufferHeldBefore()
    {
        using var small = Half(16, 8, 2);
        using var large = Half(64, 32, 3);
        using var other = Half(16, 8, 4);
        using var scope = WeightUpcastBuffer.Begin();
        foreach (var weight in new[] { small, large, other, small })
        {
            using var expected = weight.to(ScalarType.Float32);
            using var upcast = WeightUpcastBuffer.Upcast(weight, ScalarType.Float32)!;
            Assert.AreEqual(ScalarType.Float32, upcast.dtype);
            CollectionAssert.AreEqual(weight.shape, upcast.shape);
            CollectionAssert.AreEqual(expected.bytes.ToArray(), upcast.bytes.ToArray());
        }
    }

    [TestMethod]
    public void LinearGivesTheSameBitsInsideAndOutsideAScope()
    {
        using var layer = nn.Linear(32, 24, hasBias: true);
        layer.weight = new Parameter(Half(24, 32, 5), requires_grad: false);
        layer.bias = new Parameter(Half(1, 24, 6).view(24), requires_grad: false);
        manual_seed(7);
        using var input = randn(3, 5, 32);
        using var inference = inference_mode();
        using var outside = ModelWeights.Linear(layer, input);
        using var scope = WeightUpcastBuffer.Begin();
        using var inside = ModelWeights.Linear(layer, input);
        Assert.IsTrue(outside.abs().max().item<float>() > 0.5f, "degenerate output");
        CollectionAssert.AreEqual(outside.bytes.ToArray(), inside.bytes.ToArray());
    }

    [TestMethod]
    public void NestedScopesShareTheOutermostBuffer()
    {
        using var first = Half(8, 8, 8);
        using var second = Half(8, 8, 9);
        using var outer = WeightUpcastBuffer.Begin();
        using (WeightUpcastBuffer.Begin())
        {
            using var a = WeightUpcastBuffer.Upcast(first, ScalarType.Float32)!;
        }
        using var b = WeightUpcastBuffer.Upcast(second, ScalarType.Float32);
        Assert.IsNotNull(b, "the outer scope is still active");
        using var expected = second.to(ScalarType.Float32);
        CollectionAssert.AreEqual(expected.bytes.ToArray(), b.bytes.ToArray());
    }
}
