using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

/// <summary>
/// Quantized weights on the GPU against the scalar references: MatMul through the fused matvec kernels (1 row, matvec8 for
/// 2..32 rows in launches of up to 8) and through dequantize-to-F16 + cuBLAS (more rows), and the embedding lookup of
/// quantized rows.
/// </summary>
[Category("Gpu")]
public unsafe class CudaQuantTests : CudaTestBase
{
    private static readonly GgmlType[] Types =
        [GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    private static IEnumerable<object[]> Cases() =>
        from t in Types from rows in new[] { 1, 3, 8, 16, 21, 40 } select new object[] { t, rows };

    private readonly List<IntPtr> _blocks = new();

    [TearDown]
    public void FreeBlocks()
    {
        foreach (var p in _blocks) NativeMemory.Free((void*)p);
        _blocks.Clear();
    }

    /// <summary>Random values quantized by our (ggml-identical) quantizer; <paramref name="dequantized"/> is what they stand for.</summary>
    private WeightTensor Quantized(GgmlType type, int n, int k, int seed, out float[] dequantized)
    {
        var traits = QuantRegistry.Get(type);
        long rowBytes = GgmlTypes.RowBytes(type, k);
        byte* data = (byte*)NativeMemory.Alloc((nuint)(rowBytes * n));
        _blocks.Add((IntPtr)data);
        var values = Random(seed, n * k);
        dequantized = new float[n * k];
        for (int j = 0; j < n; j++)
        {
            var row = new Span<byte>(data + j * rowBytes, (int)rowBytes);
            traits.Quantize(values.AsSpan(j * k, k), row);
            traits.Dequantize(row, dequantized.AsSpan(j * k, k));
        }
        return new WeightTensor("wq", type, [k, n], data, rowBytes * n);
    }

    [TestCaseSource(nameof(Cases))]
    public void QuantizedMatMulMatchesTheDequantizedReference(GgmlType type, int rows)
    {
        const int k = 512, n = 67;
        var x = Random(11, rows * k);
        using var w = Backend.Load(Quantized(type, n, k, 12, out var wd));
        using var xt = Tensor(rows + 1, k, rows, x);
        using var yt = Tensor(rows + 2, n, rows);
        Backend.MatMul(xt, w, yt);
        bool gemm = MatMulLaunch.Path(type, rows) == MatMulPath.Gemm;
        // matvec: dequantized weights (exact in F32) times the F32 activation, FP32 sums → 1e-5 of Σ|w·x|.
        // cuBLAS path: weights dequantized to F16 and the activation rounded to F16 → 2e-3 of Σ|w·x|.
        double rel = gemm ? 2e-3 : 1e-5;
        var expected = new float[rows * n];
        var bound = new double[rows * n];
        for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++)
        {
            double s = 0, a = 0;
            for (int c = 0; c < k; c++) { double t = (double)x[r * k + c] * wd[j * k + c]; s += t; a += Math.Abs(t); }
            expected[r * n + j] = (float)s;
            bound[r * n + j] = rel * a + 1e-6;
        }
        AssertClose($"matmul {type} x[{rows}, {k}] W[{n}, {k}] ({(gemm ? "dequantize + cuBLAS" : $"fused {MatMulLaunch.Path(type, rows)}")})", expected, Download(yt), i => bound[i]);
        AssertGuard($"matmul {type}", yt, rows);
    }

    [TestCaseSource(nameof(Types))]
    public void QuantizedEmbeddingRowsAreExact(GgmlType type)
    {
        const int vocab = 37, k = 256;
        using var table = Backend.Load(Quantized(type, vocab, k, 13, out var rows));
        int[] tokens = [vocab - 1, 0, 17, vocab - 1];
        Backend.SetInput(tokens, 0);
        using var o = Tensor(tokens.Length + 1, k, tokens.Length);
        Backend.Embed(table, o);
        var expected = tokens.SelectMany(t => rows.AsSpan(t * k, k).ToArray()).ToArray();
        AssertClose($"embed {type}", expected, Download(o), _ => 0);
        AssertGuard($"embed {type}", o, tokens.Length);
    }
}
