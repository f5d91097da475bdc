// F16 (IEEE binary16) and BF16 <-> F32 conversions: widening is exact; narrowing rounds to nearest even
// (F16 as F16C/Half do, BF16 as ggml_compute_fp32_to_bf16 in ggml-impl.h, NaN kept quiet).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class HalfConvert
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16ToF32(ushort h) => (float)BitConverter.UInt16BitsToHalf(h);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort F32ToF16(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToF32(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort F32ToBF16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>F16 bits sign-extended into 32-bit lanes to F32, exact for normals, subnormals, infinities and NaNs: the
    /// magnitude moved into F32's exponent and mantissa fields and scaled by 2^112 (an exact power-of-two product that
    /// also normalises F16 subnormals), infinities and NaNs given F32's all-ones exponent, the sign from bit 31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> F16BitsToF32(Vector512<int> h)
    {
        var magnitude = (h & Vector512.Create(0x7fff)) << 13;
        var scaled = magnitude.AsSingle() * Vector512.Create(5.192296858534828e33f);   // 2^112
        var special = Vector512.GreaterThan(magnitude, Vector512.Create(0x0f7fffff));
        var bits = Vector512.ConditionalSelect(special, magnitude | Vector512.Create(0x7f800000), scaled.AsInt32());
        return (bits | (h & Vector512.Create(int.MinValue))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> F16BitsToF32(Vector256<uint> h)
    {
        var magnitude = (h & Vector256.Create(0x7fffu)) << 13;
        var scaled = magnitude.AsSingle() * Vector256.Create(5.192296858534828e33f);   // 2^112
        var special = Vector256.GreaterThan(magnitude.AsInt32(), Vector256.Create(0x0f7fffff));
        var bits = Vector256.ConditionalSelect(special.AsUInt32(), magnitude | Vector256.Create(0x7f800000u), scaled.AsUInt32());
        return (bits | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>16 F16 values at p to F32 (AVX-512 tier only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadF16x16(ushort* p) => F16BitsToF32(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)p)));

    /// <summary>8 F16 values at p to F32 (AVX2 tier and above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadF16x8(ushort* p) => F16BitsToF32(Avx2.ConvertToVector256Int32(p).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBF16x16(ushort* p) => (Avx512F.ConvertToVector512UInt32(Vector256.Load(p)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBF16x8(ushort* p) => (Avx2.ConvertToVector256Int32(p).AsUInt32() << 16).AsSingle();

    /// <summary>n F16 values to F32, exact (in our vector code: TensorPrimitives.ConvertToSingle took 2.4 us per 2048 values
    /// fully optimised, 0.42 us once tiered up, this 0.18 us).</summary>
    public static void F16ToF32(ushort* source, float* destination, int n) => Widen<F16Loader>(source, destination, n);

    public static void BF16ToF32(ushort* source, float* destination, int n) => Widen<BF16Loader>(source, destination, n);

    /// <summary>n 16-bit values through the loader into F32: 16 or 8 lanes by tier, then one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Widen<TLoad>(ushort* source, float* destination, int n) where TLoad : IF32Loader<ushort>
    {
        int i = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
            for (; i <= n - 16; i += 16) TLoad.Load16(source + i).Store(destination + i);
        else if (SimdSupport.Tier == SimdTier.Avx2)
            for (; i <= n - 8; i += 8) TLoad.Load8(source + i).Store(destination + i);
        for (; i < n; i++) destination[i] = TLoad.Load(source + i);
    }

    /// <summary>n F32 values to the nearest F16 (ties to even; overflow to infinity; NaNs quiet, keeping the top payload
    /// bits), as (Half) does.</summary>
    public static void F32ToF16(float* source, ushort* destination, int n)
    {
        int i = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
            for (; i <= n - 16; i += 16)
                Avx512F.ConvertToVector256UInt16(ToF16Bits(Vector512.Load(source + i).AsUInt32())).Store(destination + i);
        else if (SimdSupport.Tier == SimdTier.Avx2)
            for (; i <= n - 16; i += 16)
                Vector256.Narrow(ToF16Bits(Vector256.Load(source + i).AsUInt32()), ToF16Bits(Vector256.Load(source + i + 8).AsUInt32()))
                    .Store(destination + i);
        for (; i < n; i++) destination[i] = F32ToF16(source[i]);
    }

    /// <summary>The F16 bits (in the low 16 bits of each lane) nearest to each F32 lane: F16 normals by rebiasing the
    /// exponent with a round-to-nearest-even bias, subnormals by one float addition of 0.5 (which rounds at 2^-24),
    /// overflow to infinity, NaNs quiet (after Giesen's float_to_half_fast3_rtne).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> ToF16Bits(Vector512<uint> bits)
    {
        var u = bits & Vector512.Create(0x7fffffffu);
        var normal = (u + Vector512.Create(0xC8000FFFu) + ((u >>> 13) & Vector512.Create(1u))) >>> 13;
        var subnormal = (u.AsSingle() + Vector512.Create(0.5f)).AsUInt32() - Vector512.Create(0x3F000000u);
        var o = Vector512.ConditionalSelect(Vector512.LessThan(u, Vector512.Create(0x38800000u)), subnormal, normal);
        o = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, Vector512.Create(0x47800000u)), Vector512.Create(0x7c00u), o);
        o = Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512.Create(0x7f800000u)), Vector512.Create(0x7e00u) | ((u >>> 13) & Vector512.Create(0x3ffu)), o);
        return o | ((bits >>> 16) & Vector512.Create(0x8000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> ToF16Bits(Vector256<uint> bits)
    {
        var u = bits & Vector256.Create(0x7fffffffu);
        var normal = (u + Vector256.Create(0xC8000FFFu) + ((u >>> 13) & Vector256.Create(1u))) >>> 13;
        var subnormal = (u.AsSingle() + Vector256.Create(0.5f)).AsUInt32() - Vector256.Create(0x3F000000u);
        var o = Vector256.ConditionalSelect(Vector256.LessThan(u.AsInt32(), Vector256.Create(0x38800000)).AsUInt32(), subnormal, normal);
        o = Vector256.ConditionalSelect(Vector256.GreaterThan(u.AsInt32(), Vector256.Create(0x477fffff)).AsUInt32(), Vector256.Create(0x7c00u), o);
        o = Vector256.ConditionalSelect(Vector256.GreaterThan(u.AsInt32(), Vector256.Create(0x7f800000)).AsUInt32(), Vector256.Create(0x7e00u) | ((u >>> 13) & Vector256.Create(0x3ffu)), o);
        return o | ((bits >>> 16) & Vector256.Create(0x8000u));
    }

    /// <summary>Rounds each value to the nearest F16 and back, in place (what ggml does to an activation row before an F16 dot).</summary>
    public static void RoundToF16(float* values, int n)
    {
        int i = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
            for (; i <= n - 16; i += 16)
            {
                var bits = Vector512.Load(values + i).AsUInt32();
                F16BitsToF32((ToF16Bits(bits) | (bits & Vector512.Create(0x80000000u))).AsInt32()).Store(values + i);
            }
        else if (SimdSupport.Tier == SimdTier.Avx2)
            for (; i <= n - 8; i += 8)
            {
                var bits = Vector256.Load(values + i).AsUInt32();
                F16BitsToF32(ToF16Bits(bits)).Store(values + i);
            }
        for (; i < n; i++) values[i] = F16ToF32(F32ToF16(values[i]));
    }

    /// <summary>Rounds each value to the nearest BF16 and back, in place.</summary>
    public static void RoundToBF16(float* values, int n)
    {
        int i = 0;
        if (SimdSupport.Tier == SimdTier.Avx512)
            for (; i <= n - 16; i += 16) RoundToBF16(Vector512.Load(values + i).AsUInt32()).AsSingle().Store(values + i);
        for (; i < n; i++) values[i] = BF16ToF32(F32ToBF16(values[i]));
    }

    /// <summary><see cref="F32ToBF16(float)"/> and back per lane: NaNs quiet, otherwise round to nearest even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> RoundToBF16(Vector512<uint> u)
    {
        var rounded = (u + Vector512.Create(0x7fffu) + ((u >>> 16) & Vector512.Create(1u))) & Vector512.Create(0xffff0000u);
        var nan = Vector512.GreaterThan(u & Vector512.Create(0x7fffffffu), Vector512.Create(0x7f800000u));
        return Vector512.ConditionalSelect(nan, (u | Vector512.Create(0x00400000u)) & Vector512.Create(0xffff0000u), rounded);
    }
}
