// Launch of rms_norm_f32: y[r] = x[r] * rsqrt(mean(x[r]^2) + eps) * w.
namespace Minerva.Native.Backends.Cuda;

internal static class RmsNormLaunch
{
    // Block r normalises row r; its threads stride over the columns and reduce the sum of squares.
    public static (Dim3 Grid, Dim3 Block) Shape(int rows, int cols) => (new((uint)rows), new(cols >= 4096 ? 1024u : 256u));

    public static void Run(GpuContext gpu, ulong x, ulong weight, ulong y, int rows, int cols, float eps)
    {
        var (grid, block) = Shape(rows, cols);
        gpu.Launch(Kernels.RmsNorm, grid, block, 0, x, weight, y, Arg.I(cols), Arg.F(eps));
    }
}
