// AVX2/FMA vec-dots (Vector256): integer products by maddubs + madd as ggml's arch/x86/quants.c, fp32 lane accumulation, one horizontal sum at the end.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Quantization;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Vector256 tier. Results equal the scalar references up to fp32 summation order (tolerances in QuantDotTests).</summary>
public static unsafe class QuantDotAvx2
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static VecDot? For(GgmlType type) => !IsSupported ? null : type switch
    {
        GgmlType.F32 => F32,
        GgmlType.F16 => F16,
        GgmlType.BF16 => BF16,
        GgmlType.Q4_0 => Q4_0,
        GgmlType.Q8_0 => Q8_0,
        GgmlType.Q4_K => Q4_K,
        GgmlType.Q5_K => Q5_K,
        GgmlType.Q6_K => Q6_K,
        _ => null,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HSum(Vector256<float> v) => Vector256.Sum(v);

    /// <summary>Sum of adjacent products of signed bytes into 8 int32 (ggml's mul_sum_i8_pairs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MulSumI8Pairs(Vector256<sbyte> x, Vector256<sbyte> y)
    {
        var ax = Avx2.Abs(x);
        var sy = Avx2.Sign(y, x);
        var dot = Avx2.MultiplyAddAdjacent(ax, sy);
        return Avx2.MultiplyAddAdjacent(dot, Vector256.Create((short)1));
    }

    /// <summary>Unsigned x (≤ 63) times signed y, adjacent pairs summed then scaled per 16-bit lane into int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MulSumU8I8Scaled(Vector256<byte> x, Vector256<sbyte> y, Vector256<short> scale) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, y), scale);

    /// <summary>IEEE half to float for 8 lanes by bit arithmetic (exact for normals, subnormals, inf and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<ushort> h)
    {
        var w = Avx2.ConvertToVector256Int32(h).AsUInt32();
        var sign = (w & Vector256.Create(0x8000u)) << 16;
        var em = (w & Vector256.Create(0x7fffu)) << 13;
        var f = em.AsSingle() * Vector256.Create(BitConverter.Int32BitsToSingle(0x77800000)); // 2^112
        var infNan = Vector256.Equals(w & Vector256.Create(0x7c00u), Vector256.Create(0x7c00u));
        var bits = Vector256.ConditionalSelect(infNan, em | Vector256.Create(0x7f800000u), f.AsUInt32());
        return (bits | sign).AsSingle();
    }

    public static float F32(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            float* x = (float*)pw, y = (float*)pa;
            Vector256<float> a0 = default, a1 = default;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), Avx.LoadVector256(y + i), a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), Avx.LoadVector256(y + i + 8), a1);
            }
            float sum = HSum(a0 + a1);
            for (; i < n; i++) sum += x[i] * y[i];
            return sum;
        }
    }

    public static float F16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            ushort* x = (ushort*)pw, y = (ushort*)pa;
            Vector256<float> acc = default;
            int i = 0;
            for (; i + 8 <= n; i += 8)
                acc = Fma.MultiplyAdd(HalfToSingle(Sse2.LoadVector128(x + i)), HalfToSingle(Sse2.LoadVector128(y + i)), acc);
            float sum = HSum(acc);
            for (; i < n; i++) sum += Fp16ToFp32(x[i]) * Fp16ToFp32(y[i]);
            return sum;
        }
    }

    public static float BF16(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        fixed (byte* pw = weights, pa = activations)
        {
            ushort* x = (ushort*)pw, y = (ushort*)pa;
            Vector256<float> acc = default;
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                var fx = (Avx2.ConvertToVector256Int32(Sse2.LoadVector128(x + i)) << 16).AsSingle();
                var fy = (Avx2.ConvertToVector256Int32(Sse2.LoadVector128(y + i)) << 16).AsSingle();
                acc = Fma.MultiplyAdd(fx, fy, acc);
            }
            float sum = HSum(acc);
            for (; i < n; i++) sum += Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]);
            return sum;
        }
    }

    public static float Q8_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        int nb = n / 32;
        fixed (byte* pw = weights, pa = activations)
        {
            Vector256<float> acc = default;
            for (int ib = 0; ib < nb; ib++)
            {
                byte* bx = pw + ib * 34, by = pa + ib * 34;
                var d = Vector256.Create(Fp16ToFp32(*(ushort*)bx) * Fp16ToFp32(*(ushort*)by));
                var q = MulSumI8Pairs(Avx.LoadVector256((sbyte*)(bx + 2)), Avx.LoadVector256((sbyte*)(by + 2)));
                acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(q), acc);
            }
            return HSum(acc);
        }
    }

    public static float Q4_0(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        int nb = n / 32;
        var m4 = Vector256.Create((byte)0x0F);
        var off = Vector256.Create((sbyte)8);
        fixed (byte* pw = weights, pa = activations)
        {
            Vector256<float> acc = default;
            for (int ib = 0; ib < nb; ib++)
            {
                byte* bx = pw + ib * 18, by = pa + ib * 34;
                var d = Vector256.Create(Fp16ToFp32(*(ushort*)bx) * Fp16ToFp32(*(ushort*)by));
                var t = Sse2.LoadVector128(bx + 2);
                var qx = (Vector256.Create(t, Sse2.ShiftRightLogical(t.AsUInt16(), 4).AsByte()) & m4).AsSByte() - off;
                var q = MulSumI8Pairs(qx, Avx.LoadVector256((sbyte*)(by + 2)));
                acc = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(q), acc);
            }
            return HSum(acc);
        }
    }

    // block_q8_K: d at 0, qs at 4, bsums at 260; stride 292.
    private const int Q8KStride = 292, Q8KQs = 4, Q8KBsums = 260;

    /// <summary>The 8 scales and 8 mins of a Q4_K/Q5_K block from its 12 packed bytes (ggml's utmp shuffle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScalesMins(byte* packed, out ulong scales, out ulong mins)
    {
        const uint kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
        uint u0 = *(uint*)packed, u1 = *(uint*)(packed + 4), u2 = *(uint*)(packed + 8);
        uint m1 = u1 & kmask1;
        uint m0 = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4);
        uint s1 = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4);
        uint s0 = u0 & kmask1;
        scales = s0 | ((ulong)s1 << 32);
        mins = m1 | ((ulong)m0 << 32);
    }

    private static float QxK(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n, bool five)
    {
        int nb = n / 256;
        int stride = five ? 176 : 144, qsOff = five ? 48 : 16;
        var m4 = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)1);
        fixed (byte* pw = weights, pa = activations)
        {
            Vector256<float> acc = default;
            float accm = 0;
            for (int i = 0; i < nb; i++)
            {
                byte* bx = pw + i * stride, by = pa + i * Q8KStride;
                float yd = *(float*)by;
                float d = Fp16ToFp32(*(ushort*)bx) * yd;
                float dmin = Fp16ToFp32(*(ushort*)(bx + 2)) * yd;
                ScalesMins(bx + 4, out ulong scales, out ulong mins);
                short* bs = (short*)(by + Q8KBsums);
                int summ = 0;
                for (int j = 0; j < 16; j++) summ += bs[j] * (int)((mins >> (8 * (j / 2))) & 0xFF);
                accm -= dmin * summ;

                byte* q4 = bx + qsOff;
                sbyte* q8 = (sbyte*)(by + Q8KQs);
                var qh = five ? Avx.LoadVector256(bx + 16) : default;
                Vector256<int> sumi = default;
                for (int j = 0; j < 4; j++)
                {
                    var bits = Avx.LoadVector256(q4 + 32 * j);
                    var lo = bits & m4;
                    var hi = Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
                    if (five)
                    {
                        lo |= Avx2.ShiftLeftLogical((qh & one).AsUInt16(), 4).AsByte();
                        qh = (qh.AsUInt16() >> 1).AsByte();
                        hi |= Avx2.ShiftLeftLogical((qh & one).AsUInt16(), 4).AsByte();
                        qh = (qh.AsUInt16() >> 1).AsByte();
                    }
                    var sc1 = Vector256.Create((short)((scales >> (16 * j)) & 0xFF));
                    var sc2 = Vector256.Create((short)((scales >> (16 * j + 8)) & 0xFF));
                    sumi += MulSumU8I8Scaled(lo, Avx.LoadVector256(q8 + 64 * j), sc1);
                    sumi += MulSumU8I8Scaled(hi, Avx.LoadVector256(q8 + 64 * j + 32), sc2);
                }
                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
            }
            return HSum(acc) + accm;
        }
    }

    public static float Q4_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => QxK(weights, activations, n, five: false);

    public static float Q5_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n) => QxK(weights, activations, n, five: true);

    public static float Q6_K(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int n)
    {
        int nb = n / 256;
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        var m32 = Vector256.Create((byte)32);
        fixed (byte* pw = weights, pa = activations)
        {
            Vector256<float> acc = default;
            for (int i = 0; i < nb; i++)
            {
                byte* bx = pw + i * 210, by = pa + i * Q8KStride;
                float d = Fp16ToFp32(*(ushort*)(bx + 208)) * *(float*)by;
                sbyte* sc = (sbyte*)(bx + 192);
                sbyte* q8 = (sbyte*)(by + Q8KQs);
                Vector256<int> sumi = default;
                for (int h = 0; h < 2; h++)
                {
                    byte* ql = bx + 64 * h;
                    var qh = Avx.LoadVector256(bx + 128 + 32 * h).AsUInt16();
                    var l0 = Avx.LoadVector256(ql);
                    var l1 = Avx.LoadVector256(ql + 32);
                    var q0 = (l0 & m4) | Avx2.ShiftLeftLogical((qh.AsByte() & m2).AsUInt16(), 4).AsByte();
                    var q1 = (l1 & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 2).AsByte() & m2).AsUInt16(), 4).AsByte();
                    var q2 = (Avx2.ShiftRightLogical(l0.AsUInt16(), 4).AsByte() & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 4).AsByte() & m2).AsUInt16(), 4).AsByte();
                    var q3 = (Avx2.ShiftRightLogical(l1.AsUInt16(), 4).AsByte() & m4) | Avx2.ShiftLeftLogical((Avx2.ShiftRightLogical(qh, 6).AsByte() & m2).AsUInt16(), 4).AsByte();
                    sbyte* y = q8 + 128 * h;
                    sbyte* s = sc + 8 * h;
                    sumi += Q6Part(q0, Avx.LoadVector256(y), s[0], s[1], m32);
                    sumi += Q6Part(q1, Avx.LoadVector256(y + 32), s[2], s[3], m32);
                    sumi += Q6Part(q2, Avx.LoadVector256(y + 64), s[4], s[5], m32);
                    sumi += Q6Part(q3, Avx.LoadVector256(y + 96), s[6], s[7], m32);
                }
                acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
            }
            return HSum(acc);
        }
    }

    /// <summary>32 six-bit quants (0..63, offset 32) times 32 int8, scales s0 for the first 16 and s1 for the last 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Part(Vector256<byte> q, Vector256<sbyte> y, sbyte s0, sbyte s1, Vector256<byte> m32)
    {
        var p = Avx2.MultiplyAddAdjacent(q, y) - Avx2.MultiplyAddAdjacent(m32, y);
        var scale = Vector256.Create(Vector128.Create((short)s0), Vector128.Create((short)s1));
        return Avx2.MultiplyAddAdjacent(p, scale);
    }
}
