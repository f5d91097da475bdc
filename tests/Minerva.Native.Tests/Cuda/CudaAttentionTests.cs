// StoreKv + Attention on the GPU vs a scalar causal GQA reference over the F16-rounded cache (softmax in double).
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Execution;

namespace Minerva.Native.Tests.Cuda;

public sealed class CudaAttentionTests : CudaTestBase
{
    /// <summary>Fills positions [0, filled) of layer 1 of a 2-layer cache through StoreKv; returns the F16-rounded K and V.</summary>
    private (CudaKvCache Cache, float[] K, float[] V) FillCache(int ctx, int kvDim, int filled, int seed)
    {
        var cache = (CudaKvCache)Backend.AllocateKvCache(2, ctx, kvDim);
        // poison the whole cache (F16 0xFBFF = -65504) so that reads of unwritten positions show
        var poison = new ushort[(long)2 * ctx * kvDim];
        Array.Fill(poison, (ushort)0xFBFF);
        cache.K.Upload<ushort>(poison);
        cache.V.Upload<ushort>(poison);
        var k = Random(seed, filled * kvDim);
        var v = Random(seed + 1, filled * kvDim);
        // store in two steps (positions [0, a) then [a, filled)) to exercise the start position
        int a = filled / 2;
        foreach (var (start, count) in new[] { (0, a), (a, filled - a) })
        {
            if (count == 0) continue;
            using var kt = Tensor(count, kvDim, count, k.AsSpan(start * kvDim, count * kvDim).ToArray());
            using var vt = Tensor(count, kvDim, count, v.AsSpan(start * kvDim, count * kvDim).ToArray());
            Backend.SetInput(new int[count], start);
            Backend.StoreKv(cache, 1, kt, vt);
        }
        for (int i = 0; i < k.Length; i++) { k[i] = RoundF16(k[i]); v[i] = RoundF16(v[i]); }
        return (cache, k, v);
    }

    [TestCase(64, 37)]
    [TestCase(128, 513)]
    public void StoreKvWritesF16AtPositionsOnly(int kvDim, int filled)
    {
        const int ctx = 600;
        var (cache, k, v) = FillCache(ctx, kvDim, filled, 20);
        using var _ = cache;
        var layer = new ushort[(long)2 * ctx * kvDim];
        cache.K.Download<ushort>(layer);
        long layer1 = (long)ctx * kvDim;
        for (long i = 0; i < layer.Length; i++)
        {
            bool written = i >= layer1 && i < layer1 + (long)filled * kvDim;
            float got = (float)BitConverter.UInt16BitsToHalf(layer[i]);
            if (written && got != k[i - layer1])
                Assert.Fail($"K cache element {i - layer1} (pos {(i - layer1) / kvDim}): expected {k[i - layer1]}, got {got}");
            if (!written && layer[i] != 0xFBFF)
                Assert.Fail($"K cache element {i} (layer {i / layer1}, pos {i % layer1 / kvDim}) was written but lies outside positions 0..{filled - 1} of layer 1");
        }
    }

    // (heads, kvHeads, headDim, context, startPos, rows): rows 1 = decode (split kernel + combine), more = prefill.
    [TestCase(8, 2, 64, 1024, 0, 1)]
    [TestCase(8, 2, 64, 1024, 255, 1)]
    [TestCase(8, 2, 64, 1024, 256, 1)]
    [TestCase(4, 4, 128, 1024, 700, 1)]
    [TestCase(2, 1, 256, 300, 299, 1)]
    [TestCase(6, 3, 80, 512, 0, 7)]
    [TestCase(8, 2, 64, 1024, 300, 5)]
    [TestCase(4, 1, 32, 2048, 1000, 33)]
    public void Attention(int heads, int kvHeads, int headDim, int ctx, int startPos, int rows)
    {
        int kvDim = kvHeads * headDim, qDim = heads * headDim;
        var (cache, k, v) = FillCache(ctx, kvDim, startPos + rows, 30);
        using var _ = cache;
        var q = Random(31, rows * qDim, 2f);
        using var qt = Tensor(rows, qDim, rows, q);
        using var ot = Tensor(rows + 2, qDim, rows);
        Backend.SetInput(new int[rows], startPos);
        Backend.Attention(qt, cache, 1, new AttentionShape(heads, kvHeads, headDim), ot);

        var expected = new float[rows * qDim];
        double scale = 1.0 / Math.Sqrt(headDim);
        for (int r = 0; r < rows; r++)
        for (int h = 0; h < heads; h++)
        {
            int n = startPos + r + 1, kvh = h / (heads / kvHeads);
            var s = new double[n];
            double max = double.NegativeInfinity;
            for (int t = 0; t < n; t++)
            {
                double dot = 0;
                for (int d = 0; d < headDim; d++) dot += (double)RoundF16(q[r * qDim + h * headDim + d]) * k[t * kvDim + kvh * headDim + d];
                s[t] = dot * scale;
                max = Math.Max(max, s[t]);
            }
            double sum = 0;
            for (int t = 0; t < n; t++) { s[t] = Math.Exp(s[t] - max); sum += s[t]; }
            for (int d = 0; d < headDim; d++)
            {
                double acc = 0;
                for (int t = 0; t < n; t++) acc += s[t] * v[t * kvDim + kvh * headDim + d];
                expected[r * qDim + h * headDim + d] = (float)(acc / sum);
            }
        }
        // The query is rounded to F16 (as the CPU does before the F16 dot with K). |v| <= 1: FP32 softmax and accumulation over up to ~1000 keys stay within 1e-5 absolute.
        AssertClose($"attention heads {heads}/{kvHeads} d {headDim} ctx {ctx} pos {startPos} rows {rows}", expected, Download(ot), _ => 2e-5);
        AssertGuard("attention", ot, rows);
    }
}
