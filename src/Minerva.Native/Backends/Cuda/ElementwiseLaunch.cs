// Launches of the element-wise kernels (silu_mul, add, add_bias, convert) and of store_kv_f16.
namespace Minerva.Native.Backends.Cuda;

internal static class ElementwiseLaunch
{
    public const int Threads = 256;
    private const long MaxBlocks = 1 << 20;

    // Grid-stride: thread i handles elements i, i + gridDim * blockDim, ...
    public static (Dim3 Grid, Dim3 Block) Shape(long n) => (new((uint)Math.Clamp((n + Threads - 1) / Threads, 1, MaxBlocks)), new(Threads));

    public static void SiluMul(GpuContext gpu, ulong gate, ulong up, ulong output, long n)
    {
        if (n == 0) return;
        var (grid, block) = Shape(n);
        gpu.Launch(Kernels.SiluMul, grid, block, 0, gate, up, output, Arg.L(n));
    }

    public static void Add(GpuContext gpu, ulong x, ulong y, long n)
    {
        if (n == 0) return;
        var (grid, block) = Shape(n);
        gpu.Launch(Kernels.Add, grid, block, 0, x, y, Arg.L(n));
    }

    /// <summary>x[r] += bias for the rows of x [rows, cols]; bias F32 [cols] (grid-stride over rows * cols like <see cref="Add"/>).</summary>
    public static void AddBias(GpuContext gpu, ulong x, ulong bias, int rows, int cols)
    {
        long n = (long)rows * cols;
        if (n == 0) return;
        var (grid, block) = Shape(n);
        gpu.Launch(Kernels.AddBias, grid, block, 0, x, bias, Arg.I(cols), Arg.L(n));
    }

    public static void Convert(GpuContext gpu, KernelRef kernel, ulong source, ulong destination, long n)
    {
        if (n == 0) return;
        var (grid, block) = Shape(n);
        gpu.Launch(kernel, grid, block, 0, source, destination, Arg.L(n));
    }

    // Thread x of grid row y converts column x of row y into the cache slot (sequence, position) of step row y.
    public static (Dim3 Grid, Dim3 Block) StoreKvShape(int rows, int kvDim) => (new((uint)((kvDim + Threads - 1) / Threads), (uint)rows), new(Threads));

    /// <summary>caches: one layer [sequences, ctx, kvDim] F16 each.</summary>
    public static void StoreKv(GpuContext gpu, ulong k, ulong v, ulong kCache, ulong vCache, ulong step, int rows, int kvDim, int ctx)
    {
        var (grid, block) = StoreKvShape(rows, kvDim);
        gpu.Launch(Kernels.StoreKv, grid, block, 0, k, v, kCache, vCache, step, Arg.I(kvDim), Arg.I(ctx));
    }
}
