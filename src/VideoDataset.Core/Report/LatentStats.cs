using System.Globalization;
using VideoDataset.Core.Tensors;

namespace VideoDataset.Core.Report;

/// <summary>Summary statistics of one latent's two halves (mean channels, log-variance channels).</summary>
public sealed record LatentStats(
    float MeanMin, float MeanMax, double MeanMean, double MeanStd,
    float LogVarMin, float LogVarMax, double LogVarMean, double LogVarStd,
    long NaNs, long Infs)
{
    /// <summary>
    /// Statistics of a latent tensor [T, 2C, H, W]: channels [0, C) are the mean, [C, 2C) the
    /// log-variance (the encoder output stacked on channels, DESIGN §2). NaN and Inf are counted and
    /// left out of the other figures.
    /// </summary>
    public static LatentStats Of(TensorData tensor)
    {
        if (tensor.Shape.Length != 4 || tensor.Shape[1] % 2 != 0)
            throw new InvalidDataException($"a latent is [T, 2C, H, W]; found shape [{string.Join(", ", tensor.Shape)}]");
        float[] v = tensor.ToFloat32();
        long t = tensor.Shape[0], c2 = tensor.Shape[1], plane = tensor.Shape[2] * tensor.Shape[3];
        var mean = new Accumulator();
        var logVar = new Accumulator();
        long nans = 0, infs = 0;
        for (long f = 0; f < t; f++)
            for (long c = 0; c < c2; c++)
            {
                var acc = c < c2 / 2 ? mean : logVar;
                long start = (f * c2 + c) * plane;
                for (long k = start; k < start + plane; k++)
                {
                    float x = v[k];
                    if (float.IsNaN(x)) nans++;
                    else if (float.IsInfinity(x)) infs++;
                    else acc.Add(x);
                }
            }
        return new LatentStats(mean.Min, mean.Max, mean.Mean, mean.Std, logVar.Min, logVar.Max, logVar.Mean, logVar.Std, nans, infs);
    }

    sealed class Accumulator
    {
        long _n;
        double _sum, _sumSq;
        public float Min = float.PositiveInfinity, Max = float.NegativeInfinity;
        public void Add(float x) { _n++; _sum += x; _sumSq += (double)x * x; if (x < Min) Min = x; if (x > Max) Max = x; }
        public double Mean => _n == 0 ? double.NaN : _sum / _n;
        public double Std => _n == 0 ? double.NaN : Math.Sqrt(Math.Max(0, _sumSq / _n - Mean * Mean));
    }

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One tab-separated line for the report's cache (round-trip formats, so reading back changes nothing).</summary>
    public string ToTsv() => string.Join('\t', new[]
    {
        MeanMin.ToString("R", Inv), MeanMax.ToString("R", Inv), MeanMean.ToString("R", Inv), MeanStd.ToString("R", Inv),
        LogVarMin.ToString("R", Inv), LogVarMax.ToString("R", Inv), LogVarMean.ToString("R", Inv), LogVarStd.ToString("R", Inv),
        NaNs.ToString(Inv), Infs.ToString(Inv),
    });

    public static LatentStats? FromTsv(string[] f)
    {
        if (f.Length != 10) return null;
        try
        {
            float F(int i) => float.Parse(f[i], Inv);
            double D(int i) => double.Parse(f[i], Inv);
            return new LatentStats(F(0), F(1), D(2), D(3), F(4), F(5), D(6), D(7), long.Parse(f[8], Inv), long.Parse(f[9], Inv));
        }
        catch (FormatException) { return null; }
    }

    /// <summary>
    /// Indexes of the latents that stand out from the dataset: any NaN or Inf, or a mean, spread or
    /// log-variance level more than <paramref name="threshold"/> robust standard deviations (median and
    /// MAD, which one bad decode cannot drag along) from the dataset's.
    /// </summary>
    public static HashSet<int> Outliers(IReadOnlyList<LatentStats?> stats, double threshold = 6)
    {
        var result = new HashSet<int>();
        for (int i = 0; i < stats.Count; i++)
            if (stats[i] is { } s && (s.NaNs > 0 || s.Infs > 0)) result.Add(i);
        foreach (Func<LatentStats, double> feature in new Func<LatentStats, double>[] { s => s.MeanMean, s => s.MeanStd, s => s.LogVarMean })
        {
            var values = stats.Select((s, i) => (s, i)).Where(p => p.s is not null && double.IsFinite(feature(p.s))).Select(p => (v: feature(p.s!), p.i)).ToList();
            if (values.Count < 3) continue;
            double median = Median(values.Select(p => p.v));
            double mad = 1.4826 * Median(values.Select(p => Math.Abs(p.v - median)));
            if (mad <= 1e-12) continue;
            foreach (var (v, i) in values)
                if (Math.Abs(v - median) / mad > threshold) result.Add(i);
        }
        return result;
    }

    static double Median(IEnumerable<double> values)
    {
        var a = values.OrderBy(x => x).ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }
}
