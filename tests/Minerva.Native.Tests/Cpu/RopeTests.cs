// Backend RoPE against an FP64 rotation written from the definition, both pairings, positions startPos + r > 0.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class RopeTests
{
    [Test]
    public void RopeMatchesFp64Rotation(
        [Values(RopeLayout.Interleaved, RopeLayout.HalfSplit)] RopeLayout layout,
        [Values(1, 7)] int tokens,
        [Values(1f, 4f)] float scale)
    {
        const int heads = 3, headDim = 24, startPos = 37;
        const float theta = 10000f;
        using var backend = new CpuBackend(threads: 2);
        using var x = (CpuTensor)backend.Allocate(8, heads * headDim);
        x.Rows = tokens;
        var rng = new Random(tokens);
        for (int i = 0; i < tokens * heads * headDim; i++) x.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        var before = new Span<float>(x.Data, tokens * heads * headDim).ToArray();

        backend.SetInput(new int[tokens], startPos);
        backend.Rope(x, heads, headDim, new RopeParameters(theta, scale, layout));

        int half = headDim / 2;
        for (int r = 0; r < tokens; r++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < half; i++)
                {
                    double angle = (startPos + r) / (double)scale * Math.Pow(theta, -2.0 * i / headDim);
                    int a = layout == RopeLayout.Interleaved ? 2 * i : i;
                    int b = layout == RopeLayout.Interleaved ? 2 * i + 1 : i + half;
                    int o = (r * heads + h) * headDim;
                    double x0 = before[o + a], x1 = before[o + b];
                    double e0 = x0 * Math.Cos(angle) - x1 * Math.Sin(angle);
                    double e1 = x0 * Math.Sin(angle) + x1 * Math.Cos(angle);
                    // theta is accumulated in FP32 as ggml does: its error grows with the pair index and the position.
                    double tolerance = 1e-6 + (startPos + r) * (i + 4) * 1.8e-7;
                    Assert.That(x.Data[o + a], Is.EqualTo(e0).Within(tolerance), $"r={r} h={h} pair {i} first");
                    Assert.That(x.Data[o + b], Is.EqualTo(e1).Within(tolerance), $"r={r} h={h} pair {i} second");
                }
    }

    [Test]
    public void PositionZeroIsIdentity()
    {
        using var backend = new CpuBackend(threads: 1);
        using var x = (CpuTensor)backend.Allocate(1, 8);
        for (int i = 0; i < 8; i++) x.Data[i] = i + 1;
        backend.SetInput([5], 0);
        backend.Rope(x, 2, 4, new RopeParameters(10000f, 1f, RopeLayout.HalfSplit));
        Assert.That(new Span<float>(x.Data, 8).ToArray(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
    }
}
