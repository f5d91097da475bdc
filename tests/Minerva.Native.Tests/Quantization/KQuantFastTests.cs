// The fast K-quant row quantizers (KQuantFast) at each SIMD tier against the scalar references, byte for byte, on rows
// built to reach every branch of the searches: degenerate, tiny, huge, subnormal, constant and one-signed sub-blocks.
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Quantization;
using Minerva.Native.Quantization.KQuants;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;

namespace Minerva.Native.Tests.Quantization;

public class KQuantFastTests
{
    private static readonly GgmlType[] Types = [GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    private static readonly string[] Kinds =
    [
        "normal", "normal-small", "normal-large", "uniform", "tiny", "huge", "subnormal", "zero", "constant",
        "constant-negative", "zero-sub-blocks", "signed-sub-blocks", "outliers", "grid", "one-value",
    ];

    private static readonly int[] BlockCounts = [1, 2, 3, 5, 8];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var t in Types)
            foreach (var tier in new[] { SimdTier.Scalar, SimdTier.Avx2, SimdTier.Avx512 })
                yield return new TestCaseData(t, tier);
    }

    private static void Reference(GgmlType t, ReadOnlySpan<float> x, Span<byte> y)
    {
        if (t == GgmlType.Q4_K) Q4_K.Quantize(x, y);
        else if (t == GgmlType.Q5_K) Q5_K.Quantize(x, y);
        else Q6_K.Quantize(x, y);
    }

    private static SimdTier Fast(GgmlType t, ReadOnlySpan<float> x, Span<byte> y, SimdTier tier) => t switch
    {
        GgmlType.Q4_K => KQuantFast.QuantizeQ4_K(x, y, tier),
        GgmlType.Q5_K => KQuantFast.QuantizeQ5_K(x, y, tier),
        _ => KQuantFast.QuantizeQ6_K(x, y, tier),
    };

    /// <summary>A row of <paramref name="n"/> floats; features change at 16-element granularity (Q6_K's sub-block).</summary>
    private static float[] Row(string kind, int n, int seed)
    {
        var r = new Random(seed);
        float G() => QuantTestData.Gauss(r);
        var x = new float[n];
        float shared = G();
        for (int i = 0; i < n; i++)
        {
            int sub16 = i / 16, sub32 = i / 32;
            x[i] = kind switch
            {
                "normal" => G(),
                "normal-small" => 0.02f * G(),
                "normal-large" => 1e3f * G(),
                "uniform" => (float)(2 * r.NextDouble() - 1),
                "tiny" => 1e-20f * G(),
                "huge" => 1e20f * G(),
                "subnormal" => 1e-40f * G(),
                "zero" => 0f,
                "constant" => 0.37f,
                "constant-negative" => -2.5f,
                "zero-sub-blocks" => sub32 % 8 == 3 || sub16 % 16 == 5 || sub16 % 7 == 0 ? 0f : G(),
                "signed-sub-blocks" => (sub16 * 7 + seed) % 5 switch
                {
                    0 => MathF.Abs(G()) + 0.1f,
                    1 => -MathF.Abs(G()) - 0.1f,
                    2 => MathF.Abs(G()),
                    3 => -MathF.Abs(G()),
                    _ => G(),
                },
                "outliers" => r.NextDouble() < 0.01 ? 100f * G() : G(),
                "grid" => r.Next(-8, 8) * 0.25f,
                "one-value" => sub16 % 3 == 0 ? shared : sub16 % 3 == 1 ? (i % 16 == 0 ? shared : 0f) : G() * MathF.Pow(10, sub32 % 9 - 4),
                _ => throw new ArgumentException(kind),
            };
        }
        return x;
    }

    [TestCaseSource(nameof(Cases))]
    public void TierIsByteIdenticalToReference(GgmlType t, SimdTier tier)
    {
        if (tier > SimdSupport.Available) Assert.Ignore($"{tier} not available on this CPU");
        int bytesPerBlock = GgmlTypes.Info(t).BytesPerBlock;
        Assert.Multiple(() =>
        {
            foreach (var kind in Kinds)
                foreach (int blocks in BlockCounts)
                    for (int seed = 1; seed <= 3; seed++)
                    {
                        var x = Row(kind, blocks * 256, seed * 1000 + blocks);
                        byte[] expected = new byte[blocks * bytesPerBlock], actual = new byte[blocks * bytesPerBlock];
                        Reference(t, x, expected);
                        var served = Fast(t, x, actual, tier);
                        Assert.That(served, Is.EqualTo(tier), $"{t} forced to {tier}");
                        int bad = FirstDifferentBlock(expected, actual, bytesPerBlock);
                        Assert.That(bad, Is.EqualTo(-1), $"{t} {tier} {kind} blocks={blocks} seed={seed}: block {bad} differs");
                    }
        });
    }

    [TestCaseSource(nameof(Cases))]
    public void TierIsByteIdenticalOnManyRandomRows(GgmlType t, SimdTier tier)
    {
        if (tier > SimdSupport.Available) Assert.Ignore($"{tier} not available on this CPU");
        int bytesPerBlock = GgmlTypes.Info(t).BytesPerBlock;
        var r = new Random(4242 + (int)t);
        Assert.Multiple(() =>
        {
            for (int row = 0; row < 200; row++)
            {
                // Every sub-block of 16 gets its own scale, offset and sign mix.
                int blocks = 1 + r.Next(6);
                var x = new float[blocks * 256];
                for (int s = 0; s < x.Length / 16; s++)
                {
                    float scale = MathF.Pow(10, r.Next(-6, 7)), offset = r.NextDouble() < 0.3 ? (float)(r.NextDouble() * 4 - 2) * scale : 0f;
                    for (int i = 0; i < 16; i++) x[16 * s + i] = offset + scale * QuantTestData.Gauss(r);
                }
                byte[] expected = new byte[blocks * bytesPerBlock], actual = new byte[blocks * bytesPerBlock];
                Reference(t, x, expected);
                Fast(t, x, actual, tier);
                Assert.That(FirstDifferentBlock(expected, actual, bytesPerBlock), Is.EqualTo(-1), $"{t} {tier} row {row}");
            }
        });
    }

    [TestCaseSource(nameof(Types))]
    public void RegistryQuantizesFastAndIdentically(GgmlType t)
    {
        var served = KQuantFast.Served(SimdSupport.Tier);
        TestContext.Out.WriteLine($"{t}: registry quantizes at {served}");
        if (SimdSupport.Tier > SimdTier.Scalar) Assert.That(served, Is.Not.EqualTo(SimdTier.Scalar));
        var x = Row("normal", 4 * 256, 7);
        int rowBytes = checked((int)GgmlTypes.RowBytes(t, x.Length));
        byte[] expected = new byte[rowBytes], actual = new byte[rowBytes];
        Reference(t, x, expected);
        QuantRegistry.Get(t).Quantize(x, actual);
        Assert.That(actual, Is.EqualTo(expected));
    }

    private static int FirstDifferentBlock(byte[] a, byte[] b, int bytesPerBlock)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i]) return i / bytesPerBlock;
        return -1;
    }
}
