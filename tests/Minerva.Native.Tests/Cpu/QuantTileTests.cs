// The tile kernels (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K): every (row, token) of a tile equals the one-token vec-dot bit for bit, the VNNI and AVX2
// integer paths agree exactly, and both stay within rounding of the scalar reference; the output outside the tile is untouched.
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class QuantTileTests
{
    private static IEnumerable<GgmlType> TileTypes() => [GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    private static QuantTile Avx2Tile(GgmlType type) => QuantTileK.For<Avx2Pairs>(type) ?? QuantTile8.For<Avx2Quads>(type)!;
    private static QuantTile VnniTile(GgmlType type) => QuantTileK.For<VnniPairs>(type) ?? QuantTile8.For<VnniQuads>(type)!;

    private static (NativeArray<byte> W, long RowBytes, NativeArray<byte> A, long ARowBytes) Data(GgmlType type, int rows, int tokens, int cols, int seed, float activationScale)
    {
        var rng = new Random(seed);
        var traits = QuantRegistry.Get(type);
        var act = QuantRegistry.Get(traits.ActivationType);
        long rb = GgmlTypes.RowBytes(type, cols), arb = GgmlTypes.RowBytes(act.Type, cols) + 64; // padded activation stride
        var w = new NativeArray<byte>(rb * rows);
        var a = new NativeArray<byte>(arb * Math.Max(tokens, 1));
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            // mixed magnitudes per sub-block so scales and mins span their ranges; some rows all-negative or all-positive
            for (int k = 0; k < cols; k++)
                row[k] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-3, 2)) + (r % 3 == 1 ? -2 : r % 3 == 2 ? 2 : 0));
            traits.Quantize(row, new Span<byte>(w.Pointer + r * rb, (int)rb));
        }
        for (int t = 0; t < tokens; t++)
        {
            // extreme activations reach -128 and 127 in Q8_K
            for (int k = 0; k < cols; k++) row[k] = (float)(rng.NextDouble() * 2 - 1) * activationScale;
            if (t % 2 == 1) row[rng.Next(cols)] = -1000f * activationScale;
            act.Quantize(row, new Span<byte>(a.Pointer + t * arb, (int)GgmlTypes.RowBytes(act.Type, cols)));
        }
        return (w, rb, a, arb);
    }

    [Test]
    public void TileEqualsOneTokenDotsAndReference([ValueSource(nameof(TileTypes))] GgmlType type, [Values(1, 2, 9, 65)] int blocks)
    {
        int cols = blocks * GgmlTypes.Info(type).BlockSize;
        if (!QuantTileK.IsSupported) Assert.Ignore("no AVX2/FMA: the tile kernels are not used");
        const int rows = 5;
        var traits = QuantRegistry.Get(type);
        var (w, rb, a, arb) = Data(type, rows, QuantTileK.MaxTokens, cols, (int)type * 31 + blocks, 3f);
        using var _w = w;
        using var _a = a;
        using var output = new NativeArray<float>(QuantTileK.MaxTokens * rows);
        var paths = new List<(string Name, QuantTile Tile)> { ("avx2", Avx2Tile(type)) };
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) paths.Add(("vnni", VnniTile(type)));
        int arowBytes = (int)GgmlTypes.RowBytes(traits.ActivationType, cols);

        for (int tokens = 0; tokens <= QuantTileK.MaxTokens; tokens++)
            foreach (var (name, tile) in paths)
            {
                output.Span.Fill(float.NaN);
                for (int r = 0; r < rows; r++) tile(w.Pointer + r * rb, a.Pointer, arb, tokens, cols, output.Pointer + r, rows);
                for (int t = 0; t < QuantTileK.MaxTokens; t++)
                    for (int r = 0; r < rows; r++)
                    {
                        float actual = output[t * rows + r];
                        if (t >= tokens) { Assert.That(float.IsNaN(actual), $"{name} wrote outside the tile"); continue; }
                        var wRow = new ReadOnlySpan<byte>(w.Pointer + r * rb, (int)rb);
                        var aRow = new ReadOnlySpan<byte>(a.Pointer + t * arb, arowBytes);
                        float reference = traits.VecDotReference(wRow, aRow, cols);
                        double mag = Magnitude(traits, wRow, aRow, cols);
                        Assert.That(actual, Is.EqualTo((QuantDot.Best(traits.Type) ?? traits.VecDotReference)(wRow, aRow, cols)), $"{name} tokens={tokens} [{t},{r}] vs one-token dot");
                        Assert.That(actual, Is.EqualTo(reference).Within(2e-6 * mag + 1e-12),
                            $"{name} tokens={tokens} [{t},{r}] vs reference");
                    }
                Assert.That(output.GuardsIntact(), name);
            }
    }

    // The scale of fp32 reordering error: the scale and min terms of w = d*s*q - dmin*m are each at most 2 max|w|,
    // and they are summed separately (they cancel in rows far from zero), so 2 max|w| * sum |a_i|.
    private static double Magnitude(QuantTraits traits, ReadOnlySpan<byte> w, ReadOnlySpan<byte> a, int n)
    {
        float[] wd = new float[n], ad = new float[n];
        traits.Dequantize(w, wd);
        QuantRegistry.Get(traits.ActivationType).Dequantize(a, ad);
        double maxW = 0, sumA = 0;
        for (int i = 0; i < n; i++) { maxW = Math.Max(maxW, Math.Abs(wd[i])); sumA += Math.Abs(ad[i]); }
        return 2 * maxW * sumA;
    }

    [Test]
    public void VnniAndAvx2IntegerPathsAgreeExactly([ValueSource(nameof(TileTypes))] GgmlType type)
    {
        if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) Assert.Ignore("no AVX-VNNI on this CPU: only the AVX2 path runs");
        const int rows = 16, cols = 4096;
        var (w, rb, a, arb) = Data(type, rows, QuantTileK.MaxTokens, cols, 7, 50f);
        using var _w = w;
        using var _a = a;
        using var y1 = new NativeArray<float>(QuantTileK.MaxTokens * rows);
        using var y2 = new NativeArray<float>(QuantTileK.MaxTokens * rows);
        for (int r = 0; r < rows; r++)
        {
            Avx2Tile(type)(w.Pointer + r * rb, a.Pointer, arb, QuantTileK.MaxTokens, cols, y1.Pointer + r, rows);
            VnniTile(type)(w.Pointer + r * rb, a.Pointer, arb, QuantTileK.MaxTokens, cols, y2.Pointer + r, rows);
        }
        Assert.That(y2.Span.ToArray(), Is.EqualTo(y1.Span.ToArray()));
    }

    [Test]
    public void TileRejectsMoreTokensThanItHolds()
    {
        if (!QuantTileK.IsSupported) Assert.Ignore("no AVX2/FMA");
        using var y = new NativeArray<float>(QuantTileK.MaxTokens + 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantTileK.Q4_K<Avx2Pairs>(null, null, 0, QuantTileK.MaxTokens + 1, 256, y.Pointer, 1));
    }
}
