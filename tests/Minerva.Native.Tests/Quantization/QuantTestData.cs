// Seeded test rows: gaussian weights, heavy outliers, one-signed, all-zero and tiny blocks, as real tensors have.
namespace Minerva.Native.Tests.Quantization;

internal static class QuantTestData
{
    public static readonly string[] Kinds = ["gaussian", "outliers", "positive", "zero-blocks", "tiny", "mixed-scale"];

    public static float Gauss(Random r) => (float)(Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble()));

    /// <summary>rows × n floats of one distribution kind.</summary>
    public static float[] Rows(string kind, int rows, int n, int seed)
    {
        var r = new Random(seed);
        var x = new float[rows * n];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = kind switch
            {
                "gaussian" => 0.02f * Gauss(r),
                "outliers" => r.NextDouble() < 0.01 ? 40f * Gauss(r) : Gauss(r),
                "positive" => (float)r.NextDouble() * 3f + 0.5f,
                "zero-blocks" => (i / 32) % 3 == 1 || (i / 256) % 4 == 2 ? 0f : Gauss(r),
                "tiny" => 1e-6f * Gauss(r),
                "mixed-scale" => Gauss(r) * MathF.Pow(10, (i / 64) % 5 - 2),
                _ => throw new ArgumentException(kind),
            };
        }
        return x;
    }

    public static double Rmse(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)(a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s / a.Length);
    }
}
