using TorchSharp;
using TorchSharp.Modules;
using VideoDataset.Core.Models;
using static TorchSharp.torch;

namespace VideoDataset.Tests.T5;

/// <summary>
/// The BF16 linear layers upcast and multiplied a tile of output features at a time (<see cref="WeightUpcastBuffer.Linear"/>):
/// bit for bit the output of one matmul over the weight converted to float32, at T5-XXL's shapes on this libtorch,
/// and on the edge cases (a last tile shorter than the others, one token, batches, 2-D inputs); inputs and weights it
/// does not handle go to <c>linear</c> as before.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public class TiledLinearTests
{
    static Tensor Half(long rows, long columns, int seed, ScalarType dtype = ScalarType.BFloat16)
    {
        manual_seed(seed);
        return rand(rows, columns).sub_(0.5).mul_(0.2).to(dtype);
    }

    static Linear Layer(Tensor weight, Tensor? bias = null)
    {
        var layer = nn.Linear(weight.shape[1], weight.shape[0], hasBias: bias is not null, device: ModelWeights.Meta);
        ModelWeights.Assign(ModelWeights.ModulesByName(layer), "weight", weight);
        if (bias is not null) ModelWeights.Assign(ModelWeights.ModulesByName(layer), "bias", bias);
        return layer;
    }

    /// <summary>What the model computed with weights converted to float32 at load: one matmul.</summary>
    static byte[] Converted(Tensor input, Tensor weight, Tensor? bias = null)
    {
        using var w = weight.to(ScalarType.Float32);
        using var b = bias?.to(ScalarType.Float32);
        using var output = nn.functional.linear(input, w, b);
        return output.bytes.ToArray();
    }

    static void WithTileBytes(long bytes, Action body)
    {
        long saved = WeightUpcastBuffer.TileBytes;
        WeightUpcastBuffer.TileBytes = bytes;
        try { body(); }
        finally { WeightUpcastBuffer.TileBytes = saved; }
    }

    [TestMethod]
    [DataRow(4096L, 4096L, DisplayName = "q, k, v, o [4096, 4096]")]
    [DataRow(10240L, 4096L, DisplayName = "wi_0, wi_1 [10240, 4096]")]
    [DataRow(4096L, 10240L, DisplayName = "wo [4096, 10240]")]
    public void XxlShapesGiveTheBitsOfOneMatmul(long outFeatures, long inFeatures)
    {
        using var inference = inference_mode();
        using var weight = Half(outFeatures, inFeatures, 11);
        using var converted = weight.to(ScalarType.Float32);
        Assert.IsTrue(WeightUpcastBuffer.TileRows(inFeatures, 4) < outFeatures, "the default tile holds the whole weight: nothing tested");
        int threads = get_num_threads();
        try
        {
            foreach (int threadCount in new[] { 1, 2 })
            {
                set_num_threads(threadCount);
                foreach (long[] shape in new[] { new long[] { 1, 1 }, [1, 7], [1, 64], [2, 40] })
                {
                    manual_seed(shape[0] * 100 + shape[1]);
                    using var input = randn(shape[0], shape[1], inFeatures);
                    using var scope = WeightUpcastBuffer.Begin();
                    using var tiled = WeightUpcastBuffer.Linear(input, weight);
                    Assert.IsNotNull(tiled, "not tiled");
                    CollectionAssert.AreEqual(new[] { shape[0], shape[1], outFeatures }, tiled.shape);
                    Assert.IsTrue(tiled.abs().max().item<float>() > 0.5f, "degenerate output");
                    using var oneMatmul = nn.functional.linear(input, converted);
                    CollectionAssert.AreEqual(oneMatmul.bytes.ToArray(), tiled.bytes.ToArray(),
                        $"{threadCount} threads, input [{string.Join(", ", input.shape)}]: some bit differs from one matmul");
                }
            }
        }
        finally { set_num_threads(threads); }
    }

    [TestMethod]
    public void LastTileShorterThanTheOthersOneTokenBatchesAnd2DInputs()
    {
        using var inference = inference_mode();
        using var weight = Half(192, 24, 12);
        using var layer = Layer(weight.alias());
        WithTileBytes(128 * 24 * 4, () => // tiles of 128 and 64 rows
        {
            Assert.AreEqual(128L, WeightUpcastBuffer.TileRows(24, 4));
            foreach (long[] shape in new[] { new long[] { 1 }, [1, 1], [5], [1, 5], [3, 5], [2, 70] })
            {
                manual_seed(shape.Length * 100 + shape[^1]);
                using var input = randn(shape.Append(24L).ToArray());
                using var scope = WeightUpcastBuffer.Begin();
                using var tiled = WeightUpcastBuffer.Linear(input, weight);
                Assert.IsNotNull(tiled, $"input [{string.Join(", ", input.shape)}] not tiled");
                using var viaLayer = ModelWeights.Linear(layer, input);
                CollectionAssert.AreEqual(Converted(input, weight), tiled.bytes.ToArray(), $"input [{string.Join(", ", input.shape)}]");
                CollectionAssert.AreEqual(tiled.bytes.ToArray(), viaLayer.bytes.ToArray(), "ModelWeights.Linear does not take the tiled path");
            }
        });
    }

    [TestMethod]
    public void WeightsWhoseRowsAreNotAMultipleOfTheQuantumAreOneMatmul()
    {
        using var inference = inference_mode();
        using var weight = Half(WeightUpcastBuffer.RowQuantum + 8, 24, 21);
        using var layer = Layer(weight.alias());
        manual_seed(22);
        using var input = randn(2, 9, 24);
        WithTileBytes(1, () =>
        {
            using var scope = WeightUpcastBuffer.Begin();
            Assert.IsNull(WeightUpcastBuffer.Linear(input, weight), "a last tile of 8 rows would give other bits in those rows");
            using var output = ModelWeights.Linear(layer, input);
            CollectionAssert.AreEqual(Converted(input, weight), output.bytes.ToArray());
        });
    }

    [TestMethod]
    public void Float16WeightsTileToo()
    {
        using var inference = inference_mode();
        using var weight = Half(128, 32, 13, ScalarType.Float16);
        manual_seed(14);
        using var input = randn(2, 9, 32);
        WithTileBytes(1, () =>
        {
            using var scope = WeightUpcastBuffer.Begin();
            using var tiled = WeightUpcastBuffer.Linear(input, weight);
            Assert.IsNotNull(tiled);
            CollectionAssert.AreEqual(Converted(input, weight), tiled.bytes.ToArray());
        });
    }

    [TestMethod]
    public void InputsItDoesNotFoldGoToLinearWithTheSameBits()
    {
        using var inference = inference_mode();
        using var weight = Half(128, 24, 15);
        using var bias = Half(1, 128, 16).view(128);
        using var layer = Layer(weight.alias());
        using var withBias = Layer(weight.alias(), bias.alias());
        manual_seed(17);
        using var stored = randn(24, 6, 3);
        using var nonContiguous = stored.permute(2, 1, 0); // [3, 6, 24], the last dimension strided
        manual_seed(18);
        using var contiguous = randn(3, 6, 24);
        WithTileBytes(1, () =>
        {
            using var scope = WeightUpcastBuffer.Begin();
            Assert.IsNull(WeightUpcastBuffer.Linear(nonContiguous, weight), "a non-contiguous input is tiled");
            using (var output = ModelWeights.Linear(layer, nonContiguous))
                CollectionAssert.AreEqual(Converted(nonContiguous, weight), output.bytes.ToArray());
            using (var output = ModelWeights.Linear(withBias, contiguous))
                CollectionAssert.AreEqual(Converted(contiguous, weight, bias), output.bytes.ToArray(), "with bias");
        });
        // Outside a scope there is no buffer to tile into.
        WithTileBytes(1, () => Assert.IsNull(WeightUpcastBuffer.Linear(contiguous, weight)));
        // A weight that fits one tile is one matmul as before.
        using (WeightUpcastBuffer.Begin())
            Assert.IsNull(WeightUpcastBuffer.Linear(contiguous, weight), "a 128 x 24 weight fits the default tile");
    }

    [TestMethod]
    public void Float32WeightsAreUsedAsTheyAre()
    {
        using var inference = inference_mode();
        manual_seed(19);
        using var weight = randn(128, 24);
        using var layer = Layer(weight.alias());
        manual_seed(20);
        using var input = randn(2, 5, 24);
        WithTileBytes(1, () =>
        {
            using var scope = WeightUpcastBuffer.Begin();
            using var output = ModelWeights.Linear(layer, input);
            using var expected = layer.forward(input);
            CollectionAssert.AreEqual(expected.bytes.ToArray(), output.bytes.ToArray());
            Assert.AreEqual(ScalarType.Float32, layer.weight!.dtype);
            CollectionAssert.AreEqual(weight.bytes.ToArray(), layer.weight.bytes.ToArray(), "the weight changed");
        });
    }
}
