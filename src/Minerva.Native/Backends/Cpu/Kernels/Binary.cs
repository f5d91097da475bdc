// z[i] = op(x[i], y[i]) for float rows: the one elementwise loop driver (TensorPrimitives' InvokeSpanSpanIntoSpan shape).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>An elementwise operator with scalar and vector forms that compute the same thing lane by lane.</summary>
internal interface IBinaryOp
{
    float Invoke(float x, float y);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

internal static unsafe class Binary
{
    /// <summary>z may alias x or y (in-place ops): the tail is a scalar remainder, never an overlapping vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TOp>(TOp op, float* x, float* y, float* z, int n) where TOp : struct, IBinaryOp
    {
        int i = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
        {
            for (; i <= n - 16; i += 16)
                op.Invoke(Vector512.Load(x + i), Vector512.Load(y + i)).Store(z + i);
        }
        else if (SimdSupport.Tier == SimdTier.Avx2)
        {
            for (; i <= n - 8; i += 8)
                op.Invoke(Vector256.Load(x + i), Vector256.Load(y + i)).Store(z + i);
        }
        for (; i < n; i++) z[i] = op.Invoke(x[i], y[i]);
    }

    /// <summary>Scalar reference of <see cref="Run{TOp}"/>.</summary>
    public static void Reference<TOp>(TOp op, float* x, float* y, float* z, int n) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < n; i++) z[i] = op.Invoke(x[i], y[i]);
    }
}
