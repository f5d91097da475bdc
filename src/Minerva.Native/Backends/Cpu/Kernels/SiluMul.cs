// silu(g) * u with silu(g) = g / (1 + exp(-g)) (ggml_vec_swiglu_f32; the vector exp is .NET's, within a few ulp of expf).
using System.Runtime.Intrinsics;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal readonly struct SiluMulOp : IBinaryOp
{
    public float Invoke(float g, float u) => g / (1f + MathF.Exp(-g)) * u;
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> u) => g / (Vector256<float>.One + Vector256.Exp(-g)) * u;
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> u) => g / (Vector512<float>.One + Vector512.Exp(-g)) * u;
}

internal static unsafe class SiluMul
{
    public static void Run(float* gate, float* up, float* output, int n) => Binary.Run(new SiluMulOp(), gate, up, output, n);

    public static void Reference(float* gate, float* up, float* output, int n)
    {
        for (int i = 0; i < n; i++)
        {
            float g = gate[i];
            output[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
