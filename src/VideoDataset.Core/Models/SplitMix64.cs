namespace VideoDataset.Core.Models;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit counter through a fixed mixing function; tiny,
/// fast and the same sequence on every machine. The tiny models draw their weights from it, and
/// their pinned hashes depend on every bit, so the arithmetic here must never change.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [-1, 1) with 24-bit resolution (exact in float).</summary>
    public float NextSymmetric() => (Next() >> 40) * (1f / 8388608f) - 1f;

    /// <summary>
    /// Mean 0, standard deviation 1, roughly normal: the sum of four 24-bit uniforms (exact
    /// integer arithmetic) scaled by sqrt(3)/2^24. No transcendental functions, whose last
    /// bit may differ between platforms.
    /// </summary>
    public double NextStandardish()
    {
        long sum = 0;
        for (int i = 0; i < 4; i++) sum += (long)(Next() >> 40);
        sum = 2 * sum - 4 * ((1L << 24) - 1); // centred, odd steps: 2*u - (2^24 - 1) per term
        return sum * (Math.Sqrt(3.0) / (1L << 25));
    }
}
