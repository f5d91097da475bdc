// AVX-512 vec-dots (Vector512): two 32-element blocks per register for Q4_0/Q8_0 (maddubs + madd, Avx512BW), fp32 lane accumulation.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Quantization;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Vector512 tier (no VNNI: .NET 10 exposes no 512-bit vpdpbusd). Types not listed fall back to the AVX2 tier.</summary>
public static unsafe class QuantDotAvx512
{
    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && QuantDotAvx2.IsSupported;

    public static VecDot? For(GgmlType type) => !IsSupported ? null : type switch
    {
        GgmlType.F32 => F32,
        GgmlType.F16 => F16,
        GgmlType.BF16 => BF16,
        GgmlType.Q4_0 => Q4_0,
        GgmlType.Q8_0 => Q8_0,
        _ => null,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MulSumI8Pairs(Vector512<sbyte> x, Vector512<sbyte> y)
    {
        var ax = Avx512BW.Abs(x);
        var sy = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<sbyte>.Zero), -y, y);
        var dot = Avx512BW.MultiplyAddAdjacent(ax, sy);
        return Avx512BW.MultiplyAddAdjacent(dot, Vector512.Create((short)1));
    }

    public static float F32(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            float* x = (float*)pw, y = (float*)pa;
            Vector512<float> a0 = default, a1 = default;
            int i = 0;
            for (; i + 32 <= n; i += 32)
            {
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(x + i), Avx512F.LoadVector512(y + i), a0);
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(x + i + 16), Avx512F.LoadVector512(y + i + 16), a1);
            }
            float sum = Vector512.Sum(a0 + a1);
            for (; i < n; i++) sum += x[i] * y[i];
            return sum;
        }
    }

    public static float F16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            ushort* x = (ushort*)pw, y = (ushort*)pa;
            Vector512<float> acc = default;
            int i = 0;
            for (; i + 16 <= n; i += 16)
                acc = Avx512F.FusedMultiplyAdd(HalfToSingle(Avx.LoadVector256(x + i)), HalfToSingle(Avx.LoadVector256(y + i)), acc);
            float sum = Vector512.Sum(acc);
            for (; i < n; i++) sum += Fp16ToFp32(x[i]) * Fp16ToFp32(y[i]);
            return sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HalfToSingle(Vector256<ushort> h)
    {
        var w = Avx512F.ConvertToVector512UInt32(h);
        var sign = (w & Vector512.Create(0x8000u)) << 16;
        var em = (w & Vector512.Create(0x7fffu)) << 13;
        var f = em.AsSingle() * Vector512.Create(BitConverter.Int32BitsToSingle(0x77800000)); // 2^112
        var infNan = Vector512.Equals(w & Vector512.Create(0x7c00u), Vector512.Create(0x7c00u));
        var bits = Vector512.ConditionalSelect(infNan, em | Vector512.Create(0x7f800000u), f.AsUInt32());
        return (bits | sign).AsSingle();
    }

    public static float BF16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            ushort* x = (ushort*)pw, y = (ushort*)pa;
            Vector512<float> acc = default;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                var fx = (Avx512F.ConvertToVector512UInt32(Avx.LoadVector256(x + i)) << 16).AsSingle();
                var fy = (Avx512F.ConvertToVector512UInt32(Avx.LoadVector256(y + i)) << 16).AsSingle();
                acc = Avx512F.FusedMultiplyAdd(fx, fy, acc);
            }
            float sum = Vector512.Sum(acc);
            for (; i < n; i++) sum += Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]);
            return sum;
        }
    }

    public static float Q8_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        int nb = n / 32;
        fixed (byte* pw = weights, pa = activations)
        {
            Vector512<float> acc = default;
            int ib = 0;
            for (; ib + 2 <= nb; ib += 2)
            {
                byte* bx = pw + ib * 34, by = pa + ib * 34;
                var d = Vector512.Create(
                    Vector256.Create(Fp16ToFp32(*(ushort*)bx) * Fp16ToFp32(*(ushort*)by)),
                    Vector256.Create(Fp16ToFp32(*(ushort*)(bx + 34)) * Fp16ToFp32(*(ushort*)(by + 34))));
                var qx = Vector512.Create(Avx.LoadVector256((sbyte*)(bx + 2)), Avx.LoadVector256((sbyte*)(bx + 36)));
                var qy = Vector512.Create(Avx.LoadVector256((sbyte*)(by + 2)), Avx.LoadVector256((sbyte*)(by + 36)));
                acc = Avx512F.FusedMultiplyAdd(d, Avx512F.ConvertToVector512Single(MulSumI8Pairs(qx, qy)), acc);
            }
            float sum = Vector512.Sum(acc);
            if (ib < nb)
                sum += QuantDotAvx2.Q8_0(weights.Slice(ib * 34), activations.Slice(ib * 34), 32);
            return sum;
        }
    }

    public static float Q4_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        int nb = n / 32;
        var m4 = Vector512.Create((byte)0x0F);
        var off = Vector512.Create((sbyte)8);
        fixed (byte* pw = weights, pa = activations)
        {
            Vector512<float> acc = default;
            int ib = 0;
            for (; ib + 2 <= nb; ib += 2)
            {
                byte* bx = pw + ib * 18, by = pa + ib * 34;
                var d = Vector512.Create(
                    Vector256.Create(Fp16ToFp32(*(ushort*)bx) * Fp16ToFp32(*(ushort*)by)),
                    Vector256.Create(Fp16ToFp32(*(ushort*)(bx + 18)) * Fp16ToFp32(*(ushort*)(by + 34))));
                var t0 = Sse2.LoadVector128(bx + 2);
                var t1 = Sse2.LoadVector128(bx + 20);
                var raw = Vector512.Create(Vector256.Create(t0, t0), Vector256.Create(t1, t1));
                // low nibbles in the first 16 bytes of each block, high nibbles in the next 16
                var shifted = Avx512BW.ShiftRightLogical(raw.AsUInt16(), 4).AsByte();
                var sel = Vector512.Create(Vector256.Create(Vector128<byte>.Zero, Vector128<byte>.AllBitsSet), Vector256.Create(Vector128<byte>.Zero, Vector128<byte>.AllBitsSet));
                var qx = (Vector512.ConditionalSelect(sel, shifted, raw) & m4).AsSByte() - off;
                var qy = Vector512.Create(Avx.LoadVector256((sbyte*)(by + 2)), Avx.LoadVector256((sbyte*)(by + 36)));
                acc = Avx512F.FusedMultiplyAdd(d, Avx512F.ConvertToVector512Single(MulSumI8Pairs(qx, qy)), acc);
            }
            float sum = Vector512.Sum(acc);
            if (ib < nb)
                sum += QuantDotAvx2.Q4_0(weights.Slice(ib * 18), activations.Slice(ib * 34), 32);
            return sum;
        }
    }
}
