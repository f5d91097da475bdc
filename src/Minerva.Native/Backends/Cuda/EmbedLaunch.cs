// Launch of get_rows_*: out[r] = table[token r of the step] as F32.
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Backends.Cuda;

internal static class EmbedLaunch
{
    public const int Threads = 256;

    // F32/F16/BF16 (embed.cu): thread x of grid row y converts column x of token row y.
    public static (Dim3 Grid, Dim3 Block) Shape(int rows, int cols) => (new((uint)((cols + Threads - 1) / Threads), (uint)rows), new(Threads));

    // Quantized (get_rows_q.cu): block y dequantizes token row y, its threads striding over the row's blocks.
    public static (Dim3 Grid, Dim3 Block) QuantShape(int rows) => (new(1, (uint)rows), new(Threads));

    public static void Run(GpuContext gpu, CudaWeight table, ulong step, ulong output, int rows)
    {
        KernelRef kernel = table.Type switch
        {
            GgmlType.F32 => Kernels.GetRowsF32,
            GgmlType.F16 => Kernels.GetRowsF16,
            GgmlType.BF16 => Kernels.GetRowsBF16,
            _ => Kernels.GetRowsQ(table.Type),
        };
        var (grid, block) = table.Type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 ? Shape(rows, table.Cols) : QuantShape(rows);
        gpu.Launch(kernel, grid, block, 0, table.Pointer, step, output, Arg.I(table.Cols));
    }
}
