namespace VideoDataset.Core.Video;

/// <summary>A frame rate as ffprobe reports it (e.g. 30000/1001).</summary>
public readonly record struct Rational(long Numerator, long Denominator)
{
    public double Value => Denominator == 0 ? double.NaN : (double)Numerator / Denominator;

    public bool EqualsInteger(int n) => Denominator != 0 && Numerator == (long)n * Denominator;

    public static bool TryParse(string? text, out Rational value)
    {
        value = default;
        if (string.IsNullOrEmpty(text)) return false;
        var parts = text.Split('/');
        if (parts.Length == 1 && long.TryParse(parts[0], out long whole)) { value = new(whole, 1); return true; }
        if (parts.Length == 2 && long.TryParse(parts[0], out long n) && long.TryParse(parts[1], out long d) && d != 0)
        {
            value = new(n, d);
            return true;
        }
        return false;
    }

    public override string ToString() => Denominator == 1 ? Numerator.ToString() : $"{Numerator}/{Denominator}";
}
