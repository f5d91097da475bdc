// Launch of get_rows_*: out[r] = table[token r of the step] as F32.
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

internal static class EmbedLaunch
{
    public const int Threads = 256;

    // get_rows.cu, every table type: thread x of grid row y writes column x of token row y.
    public static (Dim3 Grid, Dim3 Block) Shape(int rows, int cols) => (new((uint)((cols + Threads - 1) / Threads), (uint)rows), new(Threads));

    public static void Run(GpuContext gpu, CudaWeight table, ulong step, ulong output, int rows)
    {
        KernelRef kernel = table.Type switch
        {
            GgmlType.F32 => Kernels.GetRowsF32,
            GgmlType.F16 => Kernels.GetRowsF16,
            GgmlType.BF16 => Kernels.GetRowsBF16,
            _ => Kernels.GetRowsQ(table.Type),
        };
        var (grid, block) = Shape(rows, table.Cols);
        gpu.Launch(kernel, grid, block, 0, table.Pointer, step, output, Arg.I(table.Cols));
    }
}
