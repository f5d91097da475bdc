// Backend MatMul (threads, token tiles, chunking) against the scalar reference, which rounds activations as ggml does.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class MatMulTests
{
    private static CpuBackend _backend = null!;

    [OneTimeSetUp] public static void Start() => _backend = new CpuBackend(threads: 3);
    [OneTimeTearDown] public static void Stop() => _backend.Dispose();

    [Test]
    public void MatMulMatchesReference(
        [Values(GgmlType.F32, GgmlType.F16, GgmlType.BF16)] GgmlType type,
        [Values(1, 7, 33)] int tokens,
        [Values(1, 67, 259)] int columns)
    {
        const int rows = 37;
        var rng = new Random(tokens * 1000 + columns);
        using var tw = CpuTestData.Weight(rng, type, rows, columns);
        using var w = _backend.Load(tw.Tensor);
        using var x = (CpuTensor)_backend.Allocate(40, columns);
        using var y = (CpuTensor)_backend.Allocate(40, rows);
        x.Rows = tokens;
        for (int r = 0; r < tokens; r++)
            for (int k = 0; k < columns; k++) x.Row(r)[k] = (float)(rng.NextDouble() * 2 - 1);
        var expected = new float[tokens * rows];
        fixed (float* e = expected) MatMulReference.Run(x.Data, tokens, columns, tw.Tensor.Data, type, rows, e);

        _backend.MatMul(x, w, y);

        Assert.That(y.Rows, Is.EqualTo(tokens));
        for (int r = 0; r < tokens; r++)
            for (int j = 0; j < rows; j++)
            {
                double exact = 0, sumAbs = 0;
                for (int k = 0; k < columns; k++)
                {
                    float v = x.Row(r)[k];
                    float a = type switch { GgmlType.F16 => (float)(Half)v, GgmlType.BF16 => HalfConvert.BF16ToF32(HalfConvert.F32ToBF16(v)), _ => v };
                    double p = (double)CpuTestData.WeightValue(tw.Tensor, (long)j * columns + k) * a;
                    exact += p;
                    sumAbs += Math.Abs(p);
                }
                double bound = (columns + 1) * Math.Pow(2, -24) * sumAbs + 1e-30;
                Assert.That(Math.Abs(y.Row(r)[j] - exact), Is.LessThanOrEqualTo(bound), $"[{r}, {j}] vs FP64 of rounded activations");
                Assert.That(Math.Abs(expected[r * rows + j] - exact), Is.LessThanOrEqualTo(bound), $"reference [{r}, {j}]");
            }
    }

    [Test]
    public void PrefillRowsEqualSingleTokenRowsBitForBit([Values(GgmlType.F32, GgmlType.F16, GgmlType.BF16)] GgmlType type)
    {
        const int rows = 29, columns = 131, tokens = 33;
        var rng = new Random(8);
        using var tw = CpuTestData.Weight(rng, type, rows, columns);
        using var w = _backend.Load(tw.Tensor);
        using var x = (CpuTensor)_backend.Allocate(tokens, columns);
        using var y = (CpuTensor)_backend.Allocate(tokens, rows);
        using var x1 = (CpuTensor)_backend.Allocate(1, columns);
        using var y1 = (CpuTensor)_backend.Allocate(1, rows);
        for (int i = 0; i < tokens * columns; i++) x.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        _backend.MatMul(x, w, y);
        for (int r = 0; r < tokens; r++)
        {
            x.RowSpan(r).CopyTo(x1.RowSpan(0));
            _backend.MatMul(x1, w, y1);
            Assert.That(y.RowSpan(r).ToArray(), Is.EqualTo(y1.RowSpan(0).ToArray()), $"token {r}");
        }
    }

    [Test]
    public void F16MatMulRoundsActivationsToF16()
    {
        // A value halfway between two F16 neighbours: an F32 dot would see 1 + 2^-11, ggml's F16 path sees 1.
        var rng = new Random(3);
        using var tw = CpuTestData.Weight(rng, GgmlType.F16, 1, 1);
        *(ushort*)tw.Tensor.Data = HalfConvert.F32ToF16(1f);
        using var w = _backend.Load(tw.Tensor);
        using var x = (CpuTensor)_backend.Allocate(1, 1);
        using var y = (CpuTensor)_backend.Allocate(1, 1);
        x.Data[0] = 1f + MathF.Pow(2, -11);
        _backend.MatMul(x, w, y);
        Assert.That(y.Data[0], Is.EqualTo(1f));
    }

    [Test]
    public void MatMulRejectsMismatchedShapes()
    {
        var rng = new Random(4);
        using var tw = CpuTestData.Weight(rng, GgmlType.F32, 5, 8);
        using var w = _backend.Load(tw.Tensor);
        using var x = _backend.Allocate(2, 9);
        using var y = _backend.Allocate(2, 5);
        Assert.Throws<ArgumentException>(() => _backend.MatMul(x, w, y));
    }
}
