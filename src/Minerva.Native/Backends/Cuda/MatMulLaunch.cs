// out[r, j] = sum_k x[r, k] * W[j, k]: matvec kernels for few rows (up to 8 rows per weight read), cuBLAS GemmEx (F32
// accumulate) for many.
using Minerva.Native.Backends.Cuda.Interop;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

/// <summary>How a MatMul of some rows runs: one matvec, matvec8 launches of up to 8 rows each, or cuBLAS.</summary>
internal enum MatMulPath { MatVec, MatVec8, Gemm }

internal static class MatMulLaunch
{
    /// <summary>Activation rows one matvec8 launch reads the weights once for (MATVEC_MAX_X).</summary>
    public const int MatVecMaxRows = 8;
    /// <summary>Quantized weights: up to this many rows run as matvec8 launches (weights read ceil(rows / 8) times), more
    /// as dequantize-to-F16 + GEMM (quant blocks read, F16 written and read: several times the bytes of the blocks).</summary>
    public const int QuantMatVecRowLimit = 32;
    public const int RowsPerBlock = 4;
    public const int DequantThreads = 256;
    public const int MatVecQThreads = 128;
    public const int MatVecQRowsPerBlock = 4;   // MATVEC_ROWS in matvec_q.cu

    // F32/F16/BF16 (matvec_f16.cu): warp y of block b computes output row b * RowsPerBlock + y; its lanes stride over the
    // row's 16-byte chunks.
    public static (Dim3 Grid, Dim3 Block) MatVecShape(int nrows) => (new((uint)((nrows + RowsPerBlock - 1) / RowsPerBlock)), new(32, RowsPerBlock));

    // Quantized (matvec_q.cu): block b computes output rows 4b..4b+3 (grid = ceil(rows / 4), 128 threads); the threads walk
    // fixed slices of the 4 rows' quant blocks, each x slice loaded once for the 4 rows.
    public static (Dim3 Grid, Dim3 Block) MatVecQShape(int nrows) =>
        (new((uint)((nrows + MatVecQRowsPerBlock - 1) / MatVecQRowsPerBlock)), new(MatVecQThreads));

    // dequant.cu: thread t of block b writes element b * 256 + t.
    public static (Dim3 Grid, Dim3 Block) DequantShape(long elements) =>
        (new((uint)((elements + DequantThreads - 1) / DequantThreads)), new(DequantThreads));

    private static bool IsPlain(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>One row: matvec. F32/F16/BF16 weights: matvec8 up to 8 rows (one weight read), cuBLAS reading them in place
    /// beyond. Quantized: matvec8 up to <see cref="QuantMatVecRowLimit"/> rows, dequantize + cuBLAS beyond.</summary>
    public static MatMulPath Path(GgmlType type, int rows) =>
        rows <= 1 ? MatMulPath.MatVec : rows <= (IsPlain(type) ? MatVecMaxRows : QuantMatVecRowLimit) ? MatMulPath.MatVec8 : MatMulPath.Gemm;

    /// <summary>The matvec8 launches of <paramref name="rows"/> rows: [First, First + Count) each, Count &lt;= 8.</summary>
    public static IEnumerable<(int First, int Count)> MatVec8Chunks(int rows)
    {
        for (int r = 0; r < rows; r += MatVecMaxRows) yield return (r, Math.Min(MatVecMaxRows, rows - r));
    }

    public static KernelRef MatVecKernel(GgmlType type) => type switch
    {
        GgmlType.F32 => Kernels.MatVecF32,
        GgmlType.F16 => Kernels.MatVecF16,
        GgmlType.BF16 => Kernels.MatVecBF16,
        _ => Kernels.MatVecQ(type),
    };

    public static KernelRef MatVec8Kernel(GgmlType type) => type switch
    {
        GgmlType.F32 => Kernels.MatVec8F32,
        GgmlType.F16 => Kernels.MatVec8F16,
        GgmlType.BF16 => Kernels.MatVec8BF16,
        _ => Kernels.MatVec8Q(type),
    };

    private static (Dim3 Grid, Dim3 Block) Shape(CudaWeight w) => IsPlain(w.Type) ? MatVecShape(w.Rows) : MatVecQShape(w.Rows);

    public static void MatVec(GpuContext gpu, CudaWeight w, ulong x, ulong y)
    {
        var (grid, block) = Shape(w);
        gpu.Launch(MatVecKernel(w.Type), grid, block, 0, w.Pointer, x, y, Arg.I(w.Cols), Arg.I(w.Rows));
    }

    /// <summary>y[j] = W · x[j] for the <paramref name="rows"/> (1..8) consecutive rows of x [rows, Cols] and y [rows, Rows]:
    /// the grid of <see cref="MatVec"/>, each block reading its weights once for every row.</summary>
    public static void MatVec8(GpuContext gpu, CudaWeight w, ulong x, ulong y, int rows)
    {
        if (rows < 1 || rows > MatVecMaxRows) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows: matvec8 takes 1..{MatVecMaxRows}");
        var (grid, block) = Shape(w);
        gpu.Launch(MatVec8Kernel(w.Type), grid, block, 0, w.Pointer, x, y, Arg.I(w.Cols), Arg.I(w.Rows), Arg.I(rows));
    }

    /// <summary>Writes the weight as F16 [rows, cols] into <paramref name="destination"/>.</summary>
    public static void DequantizeToF16(GpuContext gpu, CudaWeight w, ulong destination)
    {
        long n = (long)w.Rows * w.Cols;
        var (grid, block) = DequantShape(n);
        gpu.Launch(Kernels.Dequantize(w.Type), grid, block, 0, w.Pointer, destination, Arg.L(n));
    }

    /// <summary>
    /// Row-major out[rows, N] = x[rows, K] · W[N, K]ᵀ as column-major outᵀ[N, rows] = Wᵀ · xᵀ: A = W (transposed, lda K),
    /// B = x (lda K), C = out (ldc N). <paramref name="a"/> and <paramref name="b"/> already hold the same element type.
    /// </summary>
    public static void Gemm(GpuContext gpu, ulong a, ulong b, CudaDataType type, ulong output, int rows, int n, int k) =>
        gpu.Gemm(CublasOperation.T, CublasOperation.N, n, rows, k, a, type, k, b, type, k, output, CudaDataType.R32F, n);
}
