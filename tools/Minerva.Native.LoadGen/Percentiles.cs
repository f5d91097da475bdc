// Percentiles by linear interpolation between closest ranks (Hyndman-Fan type 7, numpy's default):
// p of sorted x[0..n) is x[i] + f (x[i+1] - x[i]) with h = (n - 1) p / 100, i = floor(h), f = h - i.
namespace Minerva.Native.LoadGen;

internal static class Percentiles
{
    /// <summary>The p-th percentile (0..100) of the values, NaN when there are none; NaN inputs are skipped.</summary>
    public static double Of(IEnumerable<double> values, double p)
    {
        if (p is < 0 or > 100 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "a percentile is between 0 and 100");
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        double h = (sorted.Length - 1) * p / 100;
        int i = (int)Math.Floor(h);
        if (i >= sorted.Length - 1) return sorted[^1];
        return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
    }
}
