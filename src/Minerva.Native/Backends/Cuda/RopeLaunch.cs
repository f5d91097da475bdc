// Launch of rope_f32: rotate each (a, b) pair of every head by theta = pos / scale * base^(-2i/d) / ff_i, in place.
using Minerva.Native.Execution;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

internal static class RopeLaunch
{
    public const int Threads = 256;

    // Thread x of grid row y rotates pair (x % (d/2)) of head (x / (d/2)) of token row y at that row's position.
    public static (Dim3 Grid, Dim3 Block) Shape(int rows, int heads, int headDim)
    {
        int pairs = heads * (headDim / 2);
        return (new((uint)((pairs + Threads - 1) / Threads), (uint)rows), new(Threads));
    }

    /// <summary>base^(-2/d) as ggml computes it (host powf), raised to i on the device.</summary>
    public static float ThetaScale(float theta, int headDim) => MathF.Pow(theta, -2.0f / headDim);

    /// <summary>Checks Llama 3 freq factors (device copy of type <paramref name="type"/>, <paramref name="count"/> values) fit <paramref name="headDim"/>.</summary>
    public static void ValidateFreqFactors(GgmlType type, long count, int headDim)
    {
        if (type != GgmlType.F32) throw new ArgumentException($"rope freq factors must be F32 on the device, not {type}");
        if (count != headDim / 2) throw new ArgumentException($"rope freq factors hold {count} values for {headDim / 2} pairs");
    }

    /// <summary>Rotates rows [0, rows) of x (row stride rowStride floats); freqFactors: device F32 [headDim / 2] (Llama 3 rope_freqs) or 0.</summary>
    public static void Run(GpuContext gpu, ulong x, ulong step, ulong freqFactors, int rows, int rowStride, int heads, int headDim, RopeParameters rope)
    {
        if (headDim % 2 != 0) throw new ArgumentException($"head dim {headDim} must be even for RoPE");
        var (grid, block) = Shape(rows, heads, headDim);
        gpu.Launch(Kernels.Rope, grid, block, 0, x, step, freqFactors, Arg.I(heads), Arg.I(headDim), Arg.I(rowStride),
            Arg.F(ThetaScale(rope.Theta, headDim)), Arg.F(1.0f / rope.Scale), Arg.I(rope.Layout == RopeLayout.HalfSplit ? 1 : 0));
    }
}
