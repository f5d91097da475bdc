// GPU ops vs plain scalar references (double accumulation) on seeded random inputs, with guard rows past every output.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

public sealed unsafe class CudaOpTests : CudaTestBase
{
    // Tolerances: element-wise F32 ops 1e-6 relative; reductions 2e-5 relative to the sum of |terms|; F16 (BF16) GEMM
    // inputs are rounded to 11 (8) significant bits, so 2e-3 (1.6e-2) of the sum of |terms|.

    [TestCase(1, 1, GgmlType.F32)]
    [TestCase(3, 7, GgmlType.F32)]
    [TestCase(2, 4096, GgmlType.F16)]
    [TestCase(5, 4097, GgmlType.BF16)]
    [TestCase(1, 5000, GgmlType.F32)]
    public void RmsNorm(int rows, int cols, GgmlType weightType)
    {
        var x = Random(1, rows * cols, 3f);
        using var w = Backend.Load(Weight("norm", weightType, 1, cols, Random(2, cols), out var wr));
        using var xt = Tensor(rows + 2, cols, rows, x);
        using var yt = Tensor(rows + 2, cols, rows);
        const float eps = 1e-5f;
        Backend.RmsNorm(xt, w, eps, yt);
        var expected = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int c = 0; c < cols; c++) ss += (double)x[r * cols + c] * x[r * cols + c];
            double scale = 1.0 / Math.Sqrt(ss / cols + eps);
            for (int c = 0; c < cols; c++) expected[r * cols + c] = (float)(x[r * cols + c] * scale * wr[c]);
        }
        AssertClose($"rms_norm [{rows}, {cols}] {weightType}", expected, Download(yt), i => 2e-5 * Math.Abs(expected[i]) + 1e-6);
        AssertGuard("rms_norm", yt, rows);
    }

    private static readonly object[] MatMulCases =
    [
        // rows 1: matvec; 2..8: matvec8 (one launch); 9+: cuBLAS GEMM. Column counts off the 8-element (F32: 4-element)
        // vector width use the scalar path.
        new object[] { GgmlType.F32, 1, 64, 7 }, new object[] { GgmlType.F32, 3, 36, 129 }, new object[] { GgmlType.F32, 17, 257, 33 },
        new object[] { GgmlType.F32, 6, 35, 9 }, new object[] { GgmlType.F32, 8, 256, 70 },
        new object[] { GgmlType.F16, 1, 4096, 64 }, new object[] { GgmlType.F16, 2, 40, 1 }, new object[] { GgmlType.F16, 4, 37, 65 },
        new object[] { GgmlType.F16, 5, 256, 96 }, new object[] { GgmlType.F16, 16, 1024, 130 }, new object[] { GgmlType.F16, 33, 72, 17 },
        new object[] { GgmlType.F16, 7, 4096, 33 }, new object[] { GgmlType.F16, 8, 37, 5 }, new object[] { GgmlType.F16, 9, 64, 40 },
        new object[] { GgmlType.BF16, 1, 512, 100 }, new object[] { GgmlType.BF16, 1, 33, 3 }, new object[] { GgmlType.BF16, 8, 264, 31 }, new object[] { GgmlType.BF16, 3, 77, 12 },
        new object[] { GgmlType.BF16, 64, 128, 128 },
    ];

    [TestCaseSource(nameof(MatMulCases))]
    public void MatMul(GgmlType type, int rows, int k, int n)
    {
        var x = Random(3, rows * k);
        using var w = Backend.Load(Weight("w", type, n, k, Random(4, n * k), out var wr));
        using var xt = Tensor(rows + 1, k, rows, x);
        using var yt = Tensor(rows + 2, n, rows);
        Backend.MatMul(xt, w, yt);
        var path = MatMulLaunch.Path(type, rows);
        // The activation is rounded to the weight's type (F16/BF16) on both paths, as on the CPU: the products are then
        // exact and only the FP32 summation order differs. A one-row weight is a vector (like a norm), held as F32.
        Func<float, float> round = n == 1 ? v => v : type switch { GgmlType.F16 => RoundF16, GgmlType.BF16 => v => BitConverter.Int32BitsToSingle(ToBf16(v) << 16), _ => v => v };
        x = x.Select(round).ToArray();
        double rel = 2e-5;
        var expected = new float[rows * n];
        var bound = new double[rows * n];
        for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++)
        {
            double s = 0, a = 0;
            for (int c = 0; c < k; c++)
            {
                double t = (double)x[r * k + c] * wr[j * k + c];
                s += t;
                a += Math.Abs(t);
            }
            expected[r * n + j] = (float)s;
            bound[r * n + j] = rel * a + 1e-6;
        }
        AssertClose($"matmul {type} x[{rows}, {k}] W[{n}, {k}] ({{path}})", expected, Download(yt), i => bound[i]);
        AssertGuard("matmul", yt, rows);
    }

    [TestCase(GgmlType.F32, 10, 37)]
    [TestCase(GgmlType.F16, 300, 4096)]
    [TestCase(GgmlType.BF16, 7, 257)]
    public void Embed(GgmlType type, int vocab, int cols)
    {
        using var table = Backend.Load(Weight("tok", type, vocab, cols, Random(5, vocab * cols), out var tr));
        int[] tokens = [vocab - 1, 0, vocab / 2, vocab - 1, 1 % vocab];
        Backend.SetInput(tokens, 0);
        using var o = Tensor(tokens.Length + 1, cols, tokens.Length);
        Backend.Embed(table, o);
        var expected = new float[tokens.Length * cols];
        for (int r = 0; r < tokens.Length; r++) Array.Copy(tr, (long)tokens[r] * cols, expected, r * cols, cols);
        AssertClose($"embed {type} [{vocab}, {cols}]", expected, Download(o), _ => 0);
        AssertGuard("embed", o, tokens.Length);
    }

    [TestCase(RopeLayout.Interleaved, 1, 2, 1, 0, 10000f, 1f)]
    [TestCase(RopeLayout.Interleaved, 4, 64, 3, 17, 10000f, 1f)]
    [TestCase(RopeLayout.HalfSplit, 3, 128, 5, 1000, 500000f, 4f)]
    [TestCase(RopeLayout.HalfSplit, 2, 6, 1, 4095, 10000f, 1f)]
    public void Rope(RopeLayout layout, int heads, int headDim, int rows, int startPos, float theta, float scale)
    {
        int cols = heads * headDim;
        var x = Random(6, rows * cols, 2f);
        using var t = Tensor(rows + 1, cols, rows, x);
        Backend.SetInput(new int[rows], startPos);
        Backend.Rope(t, heads, headDim, new RopeParameters(theta, scale, layout));
        var expected = (float[])x.Clone();
        float thetaScale = MathF.Pow(theta, -2.0f / headDim);
        for (int r = 0; r < rows; r++)
        for (int h = 0; h < heads; h++)
        for (int i = 0; i < headDim / 2; i++)
        {
            double angle = (startPos + r) * Math.Pow(thetaScale, i) / scale;
            int a = r * cols + h * headDim + (layout == RopeLayout.HalfSplit ? i : 2 * i);
            int b = layout == RopeLayout.HalfSplit ? a + headDim / 2 : a + 1;
            double x0 = x[a], x1 = x[b];
            expected[a] = (float)(x0 * Math.Cos(angle) - x1 * Math.Sin(angle));
            expected[b] = (float)(x0 * Math.Sin(angle) + x1 * Math.Cos(angle));
        }
        // float angle of up to ~4096 rad carries ~4096 * 2^-24 rad of rounding, times |x| <= 2 (x2 for both terms).
        AssertClose($"rope {layout} heads {heads} d {headDim} rows {rows} pos {startPos}", expected, Download(t), _ => 2e-3);
        AssertGuard("rope", t, rows);
    }

    // Llama 3 freq factors (F32 [headDim / 2], in [1, 8] like rope_freqs): pair i turns by p / scale * thetaScale^i / ff_i.
    [TestCase(RopeLayout.Interleaved, 4, 64, 3, 0, 500000f, 1f)]
    [TestCase(RopeLayout.Interleaved, 8, 128, 2, 4000, 500000f, 1f)]
    [TestCase(RopeLayout.Interleaved, 2, 64, 1, 1234, 10000f, 2f)]
    [TestCase(RopeLayout.HalfSplit, 2, 64, 5, 2047, 10000f, 4f)]
    [TestCase(RopeLayout.HalfSplit, 3, 128, 4, 3000, 1000000f, 1f)]
    public void RopeWithFreqFactors(RopeLayout layout, int heads, int headDim, int rows, int startPos, float theta, float scale)
    {
        int cols = heads * headDim, half = headDim / 2;
        var x = Random(14, rows * cols);
        var ffWeight = Weight("rope_freqs", GgmlType.F32, 1, half, Random(15, half).Select(v => 4.5f + 3.5f * v).ToArray(), out var ff);
        using var factors = Backend.Load(ffWeight);
        using var t = Tensor(rows + 1, cols, rows, x);
        Backend.SetInput(new int[rows], startPos);
        Backend.Rope(t, heads, headDim, new RopeParameters(theta, scale, layout, factors));
        var actual = Download(t);

        var expected = (float[])x.Clone();
        float thetaScale = MathF.Pow(theta, -2.0f / headDim);
        for (int r = 0; r < rows; r++)
        for (int h = 0; h < heads; h++)
        for (int i = 0; i < half; i++)
        {
            double angle = (startPos + r) * Math.Pow(thetaScale, i) / ff[i] / scale;
            int a = r * cols + h * headDim + (layout == RopeLayout.HalfSplit ? i : 2 * i);
            int b = layout == RopeLayout.HalfSplit ? a + half : a + 1;
            double x0 = x[a], x1 = x[b];
            expected[a] = (float)(x0 * Math.Cos(angle) - x1 * Math.Sin(angle));
            expected[b] = (float)(x0 * Math.Sin(angle) + x1 * Math.Cos(angle));
        }
        // As Rope above, with |x| <= 1 and ff >= 1 (angles no larger than without factors).
        string what = $"rope+freq factors {layout} heads {heads} d {headDim} rows {rows} pos {startPos}";
        AssertClose(what, expected, actual, _ => 2e-3);
        AssertGuard("rope", t, rows);

        // The CPU backend (the reference the model tests compare with) on the same weight: within the GPU's bound plus the
        // CPU's own (RopeTests: theta accumulated in FP32, error <= p * (pair + 4) * 1.8e-7).
        using var cpu = new CpuBackend(threads: 1);
        using var cpuFactors = cpu.Load(ffWeight);
        using var ct = (CpuTensor)cpu.Allocate(rows, cols);
        x.CopyTo(new Span<float>(ct.Data, rows * cols));
        cpu.SetInput(new int[rows], startPos);
        cpu.Rope(ct, heads, headDim, new RopeParameters(theta, scale, layout, cpuFactors));
        int Pair(int e) => layout == RopeLayout.HalfSplit ? e % headDim % half : e % headDim / 2;
        AssertClose(what + " vs CPU backend", new Span<float>(ct.Data, rows * cols), actual,
            e => 2e-3 + 1e-6 + (startPos + e / cols) * (Pair(e) + 4) * 1.8e-7);
    }

    // Qwen2's Q/K/V biases: a vector of the file's type (F32 in GGUF, F16/BF16 in safetensors) widened to F32 at load.
    [TestCase(1, 64, GgmlType.F32)]
    [TestCase(3, 33, GgmlType.F16)]
    [TestCase(17, 4097, GgmlType.BF16)]
    [TestCase(17, 512, GgmlType.F32)]
    [TestCase(3, 896, GgmlType.BF16)]
    [TestCase(1, 128, GgmlType.F16)]
    [TestCase(17, 1, GgmlType.F32)]
    public void AddBias(int rows, int cols, GgmlType biasType)
    {
        var x = Random(12, rows * cols, 3f);
        var biasWeight = Weight("bias", biasType, 1, cols, Random(13, cols), out var bias);
        using var b = Backend.Load(biasWeight);
        using var xt = Tensor(rows + 2, cols, rows, x);
        Backend.AddBias(xt, b);
        var actual = Download(xt);
        var expected = new float[rows * cols];
        for (int i = 0; i < expected.Length; i++) expected[i] = x[i] + bias[i % cols];
        // one correctly rounded F32 addition per element on both sides: exact
        AssertClose($"add_bias [{rows}, {cols}] {biasType}", expected, actual, _ => 0);
        AssertGuard("add_bias", xt, rows);

        using var cpu = new CpuBackend(threads: 1);
        using var cpuBias = cpu.Load(biasWeight);
        using var ct = (CpuTensor)cpu.Allocate(rows, cols);
        x.CopyTo(new Span<float>(ct.Data, rows * cols));
        cpu.AddBias(ct, cpuBias);
        AssertClose($"add_bias [{rows}, {cols}] {biasType} vs CPU backend", new Span<float>(ct.Data, rows * cols), actual, _ => 0);
    }

    [TestCase(1, 1)]
    [TestCase(3, 1000)]
    [TestCase(7, 4099)]
    public void SiluMulAndAdd(int rows, int cols)
    {
        var g = Random(7, rows * cols, 8f);
        var u = Random(8, rows * cols, 3f);
        using var gt = Tensor(rows, cols, rows, g);
        using var ut = Tensor(rows, cols, rows, u);
        using var ot = Tensor(rows + 2, cols, rows);
        Backend.SiluMul(gt, ut, ot);
        var expected = new float[rows * cols];
        for (int i = 0; i < expected.Length; i++) expected[i] = (float)(g[i] / (1 + Math.Exp(-g[i])) * u[i]);
        AssertClose($"silu_mul [{rows}, {cols}]", expected, Download(ot), i => 1e-6 * Math.Abs(expected[i]) + 1e-7);
        AssertGuard("silu_mul", ot, rows);

        Backend.Add(ot, ut);
        var after = Download(ot);
        for (int i = 0; i < expected.Length; i++) expected[i] += u[i];
        AssertClose($"add [{rows}, {cols}]", expected, after, i => 1e-6 * Math.Abs(expected[i]) + 1e-6);
        AssertGuard("add", ot, rows);
    }

    [Test]
    public void CopyRows()
    {
        const int cols = 33;
        var s = Random(9, 6 * cols);
        using var src = Tensor(6, cols, 6, s);
        using var dst = Tensor(5, cols, 2);
        Backend.CopyRows(src, 3, dst, 2);
        AssertClose("copy rows 3..5", s.AsSpan(3 * cols, 2 * cols), Download(dst), _ => 0);
        AssertGuard("copy rows", dst, 2);
    }

    [TestCase(1)]
    [TestCase(31)]
    [TestCase(32000)]
    [TestCase(128257)]
    public void ArgMax(int n)
    {
        var v = Random(10, 3 * n, 5f);
        int want = n / 3;
        v[n + want] = 100f;                   // row 1: a unique maximum
        if (n > 2) v[n + n - 1] = 100f;       // and a tie later: the first index wins
        using var t = Tensor(3, n, 3, v);
        Assert.That(Backend.ArgMax(t, 1), Is.EqualTo(want), $"argmax of row 1 of [3, {n}]");
        Assert.That(Backend.ArgMax(t, 0), Is.EqualTo(Generation.Sampler.ArgMax(v.AsSpan(0, n))), $"argmax of row 0 of [3, {n}]");
    }

    [Test]
    public void ReadRowCopiesOneRow()
    {
        var v = Random(11, 4 * 19);
        using var t = Tensor(4, 19, 4, v);
        var row = new float[19];
        Backend.ReadRow(t, 2, row);
        Assert.That(row, Is.EqualTo(v.AsSpan(38, 19).ToArray()));
    }
}
