// out[r, j] = sum_k x[r, k] * W[j, k]: matvec kernels for few rows, cuBLAS GemmEx (F32 accumulate) for many.
using Minerva.Native.Backends.Cuda.Interop;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

internal static class MatMulLaunch
{
    /// <summary>Up to this many rows each row is a matvec launch (weights read once per row); above it, one GEMM.</summary>
    public const int MatVecRowLimit = 4;
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

    public static KernelRef MatVecKernel(GgmlType type) => type switch
    {
        GgmlType.F32 => Kernels.MatVecF32,
        GgmlType.F16 => Kernels.MatVecF16,
        GgmlType.BF16 => Kernels.MatVecBF16,
        _ => Kernels.MatVecQ(type),
    };

    public static void MatVec(GpuContext gpu, CudaWeight w, ulong x, ulong y)
    {
        var (grid, block) = w.Type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 ? MatVecShape(w.Rows) : MatVecQShape(w.Rows);
        gpu.Launch(MatVecKernel(w.Type), grid, block, 0, w.Pointer, x, y, Arg.I(w.Cols), Arg.I(w.Rows));
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
