// AVX-512 vec-dots (Vector512) for the float types, fp32 lane accumulation; the integer types use the AVX2/AVX-VNNI tile kernels.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Vector512 tier (no VNNI: .NET 10 exposes no 512-bit vpdpbusd). Types not listed fall back to the AVX2 tier.</summary>
internal static unsafe class QuantDotAvx512
{
    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && QuantDotAvx2.IsSupported;

    public static VecDot? For(GgmlType type) => !IsSupported ? null : type switch
    {
        GgmlType.F32 => F32,
        GgmlType.F16 => F16,
        GgmlType.BF16 => BF16,
        _ => null,
    };

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
}
