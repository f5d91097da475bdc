// StoreKv + Attention on the GPU vs a scalar causal GQA reference over the F16-rounded cache (softmax in double), with and without a sliding window.
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
    public void Attention(int heads, int kvHeads, int headDim, int ctx, int startPos, int rows) =>
        CheckAttention(heads, kvHeads, headDim, ctx, startPos, rows, window: 0);

    // Sliding window (the last `window` positions up to the query's own): smaller than, equal to and larger than the
    // positions seen, starting inside a split, on a split boundary (Tile 128) and past whole splits; head dims 64 and 128
    // (and 36 for the unvectorised path, 256 the largest); GQA and MHA; heads x head dim as wide as Mistral-Nemo's 4096.
    [TestCase(8, 2, 64, 1024, 700, 1, 100)]     // decode: first key 601 inside split 4; splits 0..3 empty
    [TestCase(8, 2, 64, 1024, 700, 1, 128)]     // window = one tile
    [TestCase(8, 2, 128, 600, 511, 1, 256)]     // first key 256 on a split boundary, last key 511 at the end of one
    [TestCase(4, 1, 128, 1024, 300, 1, 301)]    // window = positions: the whole prefix
    [TestCase(4, 1, 128, 1024, 300, 1, 5000)]   // window > context
    [TestCase(8, 8, 64, 300, 0, 1, 1)]          // window 1 at position 0
    [TestCase(8, 2, 64, 1024, 900, 1, 1)]       // window 1: the token itself only
    [TestCase(32, 8, 128, 2048, 1500, 1, 1000)] // 32 x 128 = 4096-wide queries
    [TestCase(6, 2, 64, 512, 0, 40, 16)]        // prefill from 0, window < rows
    [TestCase(8, 2, 128, 1024, 200, 33, 64)]
    [TestCase(4, 2, 128, 512, 10, 20, 30)]      // window = positions of the last row: the whole prefix for every row
    [TestCase(4, 2, 64, 512, 100, 8, 4096)]     // window > context
    [TestCase(32, 8, 128, 2048, 1500, 3, 1000)]
    [TestCase(4, 2, 256, 400, 50, 9, 20)]
    [TestCase(4, 2, 36, 400, 150, 6, 70)]
    [TestCase(4, 2, 36, 400, 150, 1, 70)]
    public void AttentionWithWindow(int heads, int kvHeads, int headDim, int ctx, int startPos, int rows, int window) =>
        CheckAttention(heads, kvHeads, headDim, ctx, startPos, rows, window);

    private void CheckAttention(int heads, int kvHeads, int headDim, int ctx, int startPos, int rows, int window)
    {
        int kvDim = kvHeads * headDim, qDim = heads * headDim;
        var (cache, k, v) = FillCache(ctx, kvDim, startPos + rows, 30);
        using var _ = cache;
        var q = Random(31, rows * qDim, 2f);
        using var qt = Tensor(rows, qDim, rows, q);
        using var ot = Tensor(rows + 2, qDim, rows);
        Backend.SetInput(new int[rows], startPos);
        Backend.Attention(qt, cache, 1, new AttentionShape(heads, kvHeads, headDim, window), ot);

        var expected = new float[rows * qDim];
        double scale = 1.0 / Math.Sqrt(headDim);
        for (int r = 0; r < rows; r++)
        for (int h = 0; h < heads; h++)
        {
            int n = startPos + r + 1, kvh = h / (heads / kvHeads);
            int first = window > 0 ? Math.Max(0, n - window) : 0;
            var s = new double[n];
            double max = double.NegativeInfinity;
            for (int t = first; t < n; t++)
            {
                double dot = 0;
                for (int d = 0; d < headDim; d++) dot += (double)RoundF16(q[r * qDim + h * headDim + d]) * k[t * kvDim + kvh * headDim + d];
                s[t] = dot * scale;
                max = Math.Max(max, s[t]);
            }
            double sum = 0;
            for (int t = first; t < n; t++) { s[t] = Math.Exp(s[t] - max); sum += s[t]; }
            for (int d = 0; d < headDim; d++)
            {
                double acc = 0;
                for (int t = first; t < n; t++) acc += s[t] * v[t * kvDim + kvh * headDim + d];
                expected[r * qDim + h * headDim + d] = (float)(acc / sum);
            }
        }
        // The query is rounded to F16 (as the CPU does before the F16 dot with K). |v| <= 1: FP32 softmax and accumulation over up to ~1500 keys stay within 1e-5 absolute.
        AssertClose($"attention heads {heads}/{kvHeads} d {headDim} ctx {ctx} pos {startPos} rows {rows} window {window}", expected, Download(ot), _ => 2e-5);
        AssertGuard("attention", ot, rows);
    }

    // A window that covers every position seen takes exactly the arithmetic of no window: same tiles, same bits.
    [TestCase(1, 0)]
    [TestCase(1, 700)]
    [TestCase(9, 0)]
    [TestCase(9, 500)]
    public void WindowCoveringThePrefixIsBitIdenticalToNoWindow(int rows, int startPos)
    {
        const int heads = 8, kvHeads = 2, headDim = 128, ctx = 1024;
        int kvDim = kvHeads * headDim, qDim = heads * headDim;
        var (cache, _, _) = FillCache(ctx, kvDim, startPos + rows, 32);
        using var c = cache;
        using var qt = Tensor(rows, qDim, rows, Random(33, rows * qDim, 2f));
        float[] Run(int window)
        {
            using var ot = Tensor(rows, qDim, rows);
            Backend.SetInput(new int[rows], startPos);
            Backend.Attention(qt, cache, 1, new AttentionShape(heads, kvHeads, headDim, window), ot);
            return Download(ot);
        }
        var none = Run(0);
        foreach (int window in new[] { startPos + rows, ctx, ctx + 5, int.MaxValue })
            Assert.That(Run(window), Is.EqualTo(none), $"window {window} at positions {startPos}..{startPos + rows - 1} differs from no window");
    }
}
