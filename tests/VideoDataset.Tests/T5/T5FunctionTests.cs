using System.Text.Json;
using TorchSharp;
using VideoDataset.Core.Models.T5;
using static TorchSharp.torch;

namespace VideoDataset.Tests.T5;

[TestClass]
[TestCategory("Unit")]
public class T5FunctionTests
{
    static long[] Buckets(int[] offsets, int numBuckets, int maxDistance)
    {
        using var rel = torch.tensor(offsets.Select(o => (long)o).ToArray());
        using var b = T5Attention.RelativePositionBucket(rel, numBuckets, maxDistance);
        return b.data<long>().ToArray();
    }

    [TestMethod]
    public void RelativePositionBucketsMatchHandComputedTable()
    {
        // 32 buckets, max distance 128: 16 per direction, distances 0..7 exact, then
        // 8 + floor(ln(d/8) / ln(16) * 8) capped at 15; keys after the query add 16.
        var table = new (int Offset, long Bucket)[]
        {
            (0, 0), (-1, 1), (1, 17), (-7, 7), (7, 23), (-8, 8), (8, 24), (-12, 9), (-16, 10), (-20, 10),
            (-24, 11), (-32, 12), (-45, 12), (-46, 13), (-90, 14), (-91, 15), (-100, 15), (-127, 15),
            (-128, 15), (-497, 15), (-1000, 15), (100, 31), (497, 31), (1000, 31),
        };
        var actual = Buckets(table.Select(t => t.Offset).ToArray(), 32, 128);
        for (int i = 0; i < table.Length; i++)
            Assert.AreEqual(table[i].Bucket, actual[i], $"offset {table[i].Offset}");
    }

    [TestMethod]
    [DataRow(32, 128)]
    [DataRow(24, 60)]
    [DataRow(16, 50)]
    [DataRow(64, 256)]
    [DataRow(8, 20)]
    public void RelativePositionBucketsMatchPythonReference(int numBuckets, int maxDistance)
    {
        const int lo = -600, hi = 600; // beyond max_distance and beyond 498 tokens
        var expected = JsonSerializer.Deserialize<long[]>(T5TestSupport.RunPython("buckets", $"{numBuckets}", $"{maxDistance}", $"{lo}", $"{hi}"))!;
        var actual = Buckets(Enumerable.Range(lo, hi - lo + 1).ToArray(), numBuckets, maxDistance);
        CollectionAssert.AreEqual(expected, actual);
    }

    static void SetParameter(nn.Module module, string name, float[] values, ScalarType dtype = ScalarType.Float32)
    {
        var p = module.named_parameters().Single(x => x.name == name).parameter;
        using var noGrad = torch.no_grad();
        using var src = torch.tensor(values).reshape(p.shape).to(dtype);
        p.copy_(src);
    }

    [TestMethod]
    public void RmsNormScalesByRootMeanSquareWithoutCentering()
    {
        using var norm = new T5LayerNorm(2, eps: 0);
        SetParameter(norm, "weight", [1f, 2f]);
        using var x = torch.tensor(new[] { 3f, 4f }).reshape(1, 2);
        using var y = norm.forward(x);
        // rms = sqrt((9 + 16) / 2) = 3.5355339
        var v = y.data<float>().ToArray();
        Assert.AreEqual(3 / 3.5355339f, v[0], 1e-6);
        Assert.AreEqual(2 * 4 / 3.5355339f, v[1], 1e-6);
    }

    [TestMethod]
    public void RmsNormTakesVarianceInFloat32ForHalfWeights()
    {
        // 300^2 overflows float16 (max 65504): only a float32 mean square keeps this finite.
        using var norm = new T5LayerNorm(2, eps: 1e-6, dtype: ScalarType.Float16);
        using var x = torch.tensor(new[] { 300f, 400f }).reshape(1, 2).to(ScalarType.Float16);
        using var y = norm.forward(x);
        Assert.AreEqual(ScalarType.Float16, y.dtype);
        var v = y.to(ScalarType.Float32).data<float>().ToArray();
        Assert.AreEqual(300 / 353.55339f, v[0], 1e-3);
        Assert.AreEqual(400 / 353.55339f, v[1], 1e-3);
    }

    [TestMethod]
    public void GeluUsesTheTanhApproximation()
    {
        using var x = torch.tensor(new[] { -1f, 0f, 1f, 2f });
        using var y = T5Activations.GeluTanh(x);
        var v = y.data<float>().ToArray();
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); the exact erf GELU gives 0.8413447 at 1.
        Assert.AreEqual(-0.1588080f, v[0], 2e-7);
        Assert.AreEqual(0f, v[1]);
        Assert.AreEqual(0.8411920f, v[2], 2e-7);
        Assert.AreEqual(1.9545977f, v[3], 2e-7);
    }

    [TestMethod]
    public void GatedFeedForwardMultipliesGeluGateByLinearBranch()
    {
        var config = TinyT5.Config with { DModel = 2, DFf = 2 };
        using var ff = new T5DenseGatedActDense(config);
        SetParameter(ff, "wi_0.weight", [1, 0, 0, 1]);
        SetParameter(ff, "wi_1.weight", [2, 0, 0, 2]);
        SetParameter(ff, "wo.weight", [0, 1, 1, 0]); // swaps the two outputs
        using var x = torch.tensor(new[] { 1f, -1f }).reshape(1, 2);
        using var y = ff.forward(x);
        var v = y.data<float>().ToArray();
        Assert.AreEqual(-0.1588080f * -2f, v[0], 1e-6);
        Assert.AreEqual(0.8411920f * 2f, v[1], 1e-6);
    }

    [TestMethod]
    public void AttentionScoresAreNotScaledAndPositionBiasIsAdded()
    {
        // One head of width 4, q = k = v = o = identity: scores are x_i . x_j plus the bias, not divided by sqrt(4).
        var config = TinyT5.Config with { DModel = 4, DKv = 4, NumHeads = 1, RelativeAttentionNumBuckets = 8, RelativeAttentionMaxDistance = 16 };
        using var attention = new T5Attention(config, hasRelativeAttentionBias: true);
        float[] identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        foreach (var n in new[] { "q.weight", "k.weight", "v.weight", "o.weight" }) SetParameter(attention, n, identity);
        // Buckets with 8 total: offset 0 -> 0, offset -1 -> 1, offset +1 -> 5.
        SetParameter(attention, "relative_attention_bias.weight", [0.5f, -1f, 0, 0, 0, 2f, 0, 0]);
        float[] x0 = [1, 1, 0, 0], x1 = [0, 2, 1, 0];
        using var x = torch.tensor(x0.Concat(x1).ToArray()).reshape(1, 2, 4);
        var (output, bias) = attention.forward(x, null);
        using var _o = output; using var _b = bias;
        // Query 0: scores [x0.x0 + b(0), x0.x1 + b(+1)] = [2 + 0.5, 2 + 2]; without scaling by 1/sqrt(4).
        double s00 = 2.5, s01 = 4.0;
        double w0 = Math.Exp(s00) / (Math.Exp(s00) + Math.Exp(s01)), w1 = 1 - w0;
        var v = output.data<float>().ToArray();
        for (int c = 0; c < 4; c++) Assert.AreEqual(w0 * x0[c] + w1 * x1[c], v[c], 1e-5, $"channel {c}");
        CollectionAssert.AreEqual(new long[] { 1, 1, 2, 2 }, bias.shape);
    }
}
