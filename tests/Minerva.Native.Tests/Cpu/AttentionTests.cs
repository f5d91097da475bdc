// Backend StoreKv + Attention (causal, GQA, positions > 0) against a naive FP64 softmax, and the head kernel against its reference.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Execution;

namespace Minerva.Native.Tests.Cpu;

public unsafe class AttentionTests
{
    [Test]
    public void AttentionMatchesFp64Softmax([Values(1, 7, 33)] int tokens, [Values(1, 4)] int groups)
    {
        const int kvHeads = 2, headDim = 40, layers = 2, layer = 1, context = 64, startPos = 9;
        int heads = kvHeads * groups, qDim = heads * headDim, kvDim = kvHeads * headDim;
        var rng = new Random(tokens * 10 + groups);
        using var backend = new CpuBackend(threads: 3);
        using var cache = backend.AllocateKvCache(layers, context, kvDim);
        using var k = (CpuTensor)backend.Allocate(startPos + tokens, kvDim);
        using var v = (CpuTensor)backend.Allocate(startPos + tokens, kvDim);
        using var q = (CpuTensor)backend.Allocate(tokens, qDim);
        using var output = (CpuTensor)backend.Allocate(tokens, qDim);
        // All positions' K/V in one buffer: position t at row t (the first step writes 0..startPos-1, the second the rest).
        var allK = new float[(startPos + tokens) * kvDim];
        var allV = new float[(startPos + tokens) * kvDim];
        for (int i = 0; i < allK.Length; i++) { allK[i] = (float)(rng.NextDouble() * 2 - 1) * 2; allV[i] = (float)(rng.NextDouble() * 2 - 1); }
        for (int i = 0; i < tokens * qDim; i++) q.Data[i] = (float)(rng.NextDouble() * 2 - 1) * 2;

        Store(backend, cache, layer, k, v, allK, allV, 0, startPos, kvDim);
        Store(backend, cache, layer, k, v, allK, allV, startPos, tokens, kvDim);
        q.Rows = tokens;
        backend.Attention(q, cache, layer, new AttentionShape(heads, kvHeads, headDim), output);

        Assert.That(output.Rows, Is.EqualTo(tokens));
        double scale = 1 / Math.Sqrt(headDim);
        for (int r = 0; r < tokens; r++)
            for (int h = 0; h < heads; h++)
            {
                int kvHead = h / groups, positions = startPos + r + 1;
                var s = new double[positions];
                for (int t = 0; t < positions; t++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) dot += q.Row(r)[h * headDim + d] * (double)(Half)allK[t * kvDim + kvHead * headDim + d];
                    s[t] = dot * scale;
                }
                double max = s.Max(), sum = s.Sum(e => Math.Exp(e - max));
                for (int d = 0; d < headDim; d++)
                {
                    double expected = 0;
                    for (int t = 0; t < positions; t++) expected += Math.Exp(s[t] - max) / sum * (double)(Half)allV[t * kvDim + kvHead * headDim + d];
                    // F16 rounding of q (2^-11 relative, scores up to ~|q||k|/sqrt(d)) and of the probabilities (2^-11 relative).
                    Assert.That(output.Row(r)[h * headDim + d], Is.EqualTo(expected).Within(4e-3), $"token {r} head {h} dim {d}");
                }
            }
    }

    private static void Store(CpuBackend backend, IKvCache cache, int layer, CpuTensor k, CpuTensor v,
        float[] allK, float[] allV, int first, int count, int kvDim)
    {
        backend.SetInput(new int[count], first);
        k.Rows = count;
        v.Rows = count;
        allK.AsSpan(first * kvDim, count * kvDim).CopyTo(new Span<float>(k.Data, count * kvDim));
        allV.AsSpan(first * kvDim, count * kvDim).CopyTo(new Span<float>(v.Data, count * kvDim));
        backend.StoreKv(cache, layer, k, v);
    }

    [Test]
    public void HeadKernelMatchesReference([Values(1, 2, 17, 100)] int positions, [Values(8, 24, 64, 72)] int headDim)
    {
        const int kvStride = 80;
        var rng = new Random(positions * 100 + headDim);
        using var q = CpuTestData.Floats(rng, headDim, 3f);
        using var k = CpuTestData.Halves(rng, positions * kvStride, 2f);
        using var v = CpuTestData.Halves(rng, positions * kvStride);
        using var output = new NativeArray<float>(headDim);
        using var expected = new NativeArray<float>(headDim);
        using var scratch = new NativeArray<float>(Attention.GroupScratchFloats(1, positions, headDim));
        float scale = 1f / MathF.Sqrt(headDim);
        Attention.Group(q.Pointer, 1, k.Pointer, v.Pointer, kvStride, positions, headDim, scale, output.Pointer, scratch.Pointer);
        Attention.HeadReference(q.Pointer, k.Pointer, v.Pointer, kvStride, positions, headDim, scale, expected.Pointer);
        // Scores summed in another order can move a probability across an F16 rounding boundary (2^-11 relative).
        for (int d = 0; d < headDim; d++)
            Assert.That(output[d], Is.EqualTo(expected[d]).Within(5e-4), $"dim {d}");
        Assert.That(output.GuardsIntact() && scratch.GuardsIntact());
    }

    [Test]
    public void GroupResultPerHeadDoesNotDependOnTheGroupSize([Values(1, 3, 8)] int heads, [Values(1, 17, 100)] int positions, [Values(8, 64, 72)] int headDim)
    {
        const int kvStride = 80;
        var rng = new Random(heads * 1000 + positions * 10 + headDim);
        using var q = CpuTestData.Floats(rng, heads * headDim, 3f);
        using var k = CpuTestData.Halves(rng, positions * kvStride, 2f);
        using var v = CpuTestData.Halves(rng, positions * kvStride);
        using var output = new NativeArray<float>(heads * headDim);
        using var expected = new NativeArray<float>(headDim);
        using var scratch = new NativeArray<float>(Attention.GroupScratchFloats(heads, positions, headDim));
        using var headScratch = new NativeArray<float>(Attention.GroupScratchFloats(1, positions, headDim));
        float scale = 1f / MathF.Sqrt(headDim);
        Attention.Group(q.Pointer, heads, k.Pointer, v.Pointer, kvStride, positions, headDim, scale, output.Pointer, scratch.Pointer);
        for (int h = 0; h < heads; h++)
        {
            Attention.Group(q.Pointer + h * headDim, 1, k.Pointer, v.Pointer, kvStride, positions, headDim, scale, expected.Pointer, headScratch.Pointer);
            Assert.That(output.Span.Slice(h * headDim, headDim).ToArray(), Is.EqualTo(expected.Span.ToArray()), $"head {h}: bit for bit");
        }
        Assert.That(output.GuardsIntact() && scratch.GuardsIntact());
    }

    [Test]
    public void AttentionRejectsPositionsBeyondTheContext()
    {
        using var backend = new CpuBackend(threads: 1);
        using var cache = backend.AllocateKvCache(1, 4, 8);
        using var k = backend.Allocate(2, 8);
        using var v = backend.Allocate(2, 8);
        backend.SetInput([1, 2], 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.StoreKv(cache, 0, k, v));
    }
}
