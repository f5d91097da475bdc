// Backend plumbing: embedding of every native type, row ops over several rows on several threads, copies, argmax, input checks.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;

namespace Minerva.Native.Tests.Cpu;

public unsafe class CpuBackendTests
{
    private static CpuBackend _backend = null!;

    [OneTimeSetUp] public static void Start() => _backend = new CpuBackend(threads: 3);
    [OneTimeTearDown] public static void Stop() => _backend.Dispose();

    [Test]
    public void EmbedCopiesTableRowsOfTokens([Values(GgmlType.F32, GgmlType.F16, GgmlType.BF16)] GgmlType type)
    {
        var rng = new Random(1);
        using var tw = CpuTestData.Weight(rng, type, 11, 19);
        using var table = _backend.Load(tw.Tensor);
        using var y = (CpuTensor)_backend.Allocate(4, 19);
        int[] tokens = [3, 10, 0];
        _backend.SetInput(tokens, 0);
        _backend.Embed(table, y);
        Assert.That(y.Rows, Is.EqualTo(3));
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 19; c++)
                Assert.That(y.Row(r)[c], Is.EqualTo(CpuTestData.WeightValue(tw.Tensor, tokens[r] * 19L + c)));
        _backend.SetInput([11], 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.Embed(table, y));
    }

    [Test]
    public void RowOpsOverManyRowsMatchTheKernels([Values(1, 7, 33)] int rows)
    {
        const int cols = 45;
        var rng = new Random(rows);
        using var tw = CpuTestData.Weight(rng, GgmlType.F16, 1, cols);
        using var norm = _backend.Load(tw.Tensor);
        using var a = (CpuTensor)_backend.Allocate(33, cols);
        using var b = (CpuTensor)_backend.Allocate(33, cols);
        using var c = (CpuTensor)_backend.Allocate(33, cols);
        a.Rows = b.Rows = rows;
        for (int i = 0; i < rows * cols; i++) { a.Data[i] = (float)rng.NextDouble() * 4 - 2; b.Data[i] = (float)rng.NextDouble() * 4 - 2; }
        var a0 = new Span<float>(a.Data, rows * cols).ToArray();
        var b0 = new Span<float>(b.Data, rows * cols).ToArray();
        var w = new float[cols];
        for (int i = 0; i < cols; i++) w[i] = CpuTestData.WeightValue(tw.Tensor, i);
        var expected = new float[cols];

        _backend.RmsNorm(a, norm, 1e-6f, c);
        Assert.That(c.Rows, Is.EqualTo(rows));
        for (int r = 0; r < rows; r++)
        {
            fixed (float* x = a0.AsSpan(r * cols), wp = w, e = expected) RmsNorm.Reference(x, wp, 1e-6f, e, cols);
            for (int i = 0; i < cols; i++) Assert.That(c.Row(r)[i], Is.EqualTo(expected[i]).Within(3e-7 * Math.Abs(expected[i])), $"norm row {r}");
        }

        _backend.SiluMul(a, b, c);
        for (int r = 0; r < rows; r++)
        {
            fixed (float* x = a0.AsSpan(r * cols), y = b0.AsSpan(r * cols), e = expected) SiluMul.Reference(x, y, e, cols);
            for (int i = 0; i < cols; i++) Assert.That(c.Row(r)[i], Is.EqualTo(expected[i]).Within(4e-7 * Math.Abs(expected[i]) + 1e-30), $"silu row {r}");
        }

        _backend.Add(a, b);
        for (int i = 0; i < rows * cols; i++) Assert.That(a.Data[i], Is.EqualTo(a0[i] + b0[i]));
    }

    [Test]
    public void CopyReadAndArgMax()
    {
        using var a = (CpuTensor)_backend.Allocate(5, 6);
        using var d = (CpuTensor)_backend.Allocate(2, 6);
        for (int i = 0; i < 30; i++) a.Data[i] = i;
        _backend.CopyRows(a, 3, d, 2);
        Assert.That(d.Rows, Is.EqualTo(2));
        var row = new float[6];
        _backend.ReadRow(d, 1, row);
        Assert.That(row, Is.EqualTo(new float[] { 24, 25, 26, 27, 28, 29 }));

        float[] values = [1, 7, float.NaN, 7, -3, 2];
        values.CopyTo(a.RowSpan(0));
        Assert.That(_backend.ArgMax(a, 0), Is.EqualTo(1), "first of two maxima");
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.CopyRows(a, 4, d, 2));
    }

    [Test]
    public void RunChecksTheTokenCountAndNamesTheDevice()
    {
        _backend.SetInput([1, 2], 0);
        int calls = 0;
        _backend.Run(2, () => calls++);
        Assert.That(calls, Is.EqualTo(1));
        Assert.Throws<InvalidOperationException>(() => _backend.Run(1, () => { }));
        Assert.That(_backend.DeviceName, Does.Contain(SimdSupport.Tier.ToString().ToLowerInvariant()).And.Contain("3 threads"));
        Assert.That(_backend.Name, Is.EqualTo("cpu"));
    }
}
