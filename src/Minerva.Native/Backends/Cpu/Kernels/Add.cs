// x + y (ggml_vec_add_f32).
using System.Runtime.Intrinsics;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal readonly struct AddOp : IBinaryOp
{
    public float Invoke(float x, float y) => x + y;
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
}

internal static unsafe class Add
{
    public static void Run(float* x, float* y, float* z, int n) => Binary.Run(new AddOp(), x, y, z, n);

    public static void Reference(float* x, float* y, float* z, int n)
    {
        for (int i = 0; i < n; i++) z[i] = x[i] + y[i];
    }
}
