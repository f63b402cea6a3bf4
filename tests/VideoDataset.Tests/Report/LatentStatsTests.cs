using VideoDataset.Core.Report;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Tests.Report;

[TestClass]
[TestCategory("Unit")]
public class LatentStatsTests
{
    // [T=1, 2C=2, H=1, W=4]: channel 0 the mean half, channel 1 the log-variance half.
    static TensorData Latent(float[] mean, float[] logVar) =>
        TensorData.FromFloat32(mean.Concat(logVar).ToArray(), [1, 2, 1, mean.Length], TensorDType.Float32);

    [TestMethod]
    public void TheHalvesAreSummarisedApartAndNaNAndInfAreCountedNotAveraged()
    {
        var s = LatentStats.Of(Latent([1, 2, 3, float.NaN], [-1, -1, float.PositiveInfinity, -3]));
        Assert.AreEqual(1f, s.MeanMin);
        Assert.AreEqual(3f, s.MeanMax);
        Assert.AreEqual(2.0, s.MeanMean, 1e-9);
        Assert.AreEqual(Math.Sqrt(2.0 / 3), s.MeanStd, 1e-9);
        Assert.AreEqual(-3f, s.LogVarMin);
        Assert.AreEqual(-1f, s.LogVarMax);
        Assert.AreEqual(-5.0 / 3, s.LogVarMean, 1e-9);
        Assert.AreEqual(1, s.NaNs);
        Assert.AreEqual(1, s.Infs);
        Assert.AreEqual(s, LatentStats.FromTsv(s.ToTsv().Split('\t')));
    }

    [TestMethod]
    public void ABadDecodeStandsOutAndOrdinaryLatentsDoNot()
    {
        var rng = new Random(3);
        var stats = new List<LatentStats?>();
        for (int i = 0; i < 40; i++)
            stats.Add(LatentStats.Of(Latent(Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), Enumerable.Repeat(-2f, 64).ToArray())));
        Assert.IsEmpty(LatentStats.Outliers(stats));
        stats.Add(LatentStats.Of(Latent(Enumerable.Repeat(40f, 64).ToArray(), Enumerable.Repeat(-2f, 64).ToArray())));
        stats.Add(null); // not built
        stats.Add(LatentStats.Of(Latent([0, 0, float.NaN, 0], [-2, -2, -2, -2])));
        CollectionAssert.AreEquivalent(new[] { 40, 42 }, LatentStats.Outliers(stats).ToArray());
    }
}
