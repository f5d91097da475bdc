// y[t] = sum_b d_w(b) * d_a(t, b) * sum_i s_j q_i a(t)_i (- min terms): Q4_K / Q5_K / Q6_K weights against Q8_K activations for a
// tile of tokens; each weight block is unpacked once and reused for every token (the integer math of ggml's AVX2
// ggml_vec_dot_q4_K_q8_K / q5_K / q6_K in arch/x86/quants.c, Q6_K's -32 offset taken from the activation block sums).
// One token is the vec-dot itself, so batched and token-by-token results are bit-identical.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Tensors;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>acc + sum of adjacent int16 products p * s into int32 lanes: AVX-VNNI vpdpwssd or AVX2 madd + add (equal results).</summary>
internal interface IScaledPairs
{
    static abstract Vector256<int> Accumulate(Vector256<int> acc, Vector256<short> p, Vector256<short> s);
}

internal struct VnniPairs : IScaledPairs
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<short> p, Vector256<short> s) =>
        AvxVnni.MultiplyWideningAndAdd(acc, p, s);
}

internal struct Avx2Pairs : IScaledPairs
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<short> p, Vector256<short> s) =>
        acc + Avx2.MultiplyAddAdjacent(p, s);
}

/// <summary>Unpacks the 256 quants (0..15 or 0..31) of a Q4_K or Q5_K block into 8 vectors of 32, element order.</summary>
internal unsafe interface IScaleMinBits
{
    static abstract int BlockBytes { get; }
    static abstract void Unpack(byte* block, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<byte> q4, out Vector256<byte> q5, out Vector256<byte> q6, out Vector256<byte> q7);
}

/// <summary>block_q4_K: d, dmin, scales[12], qs[128]; chunk c of 64: low nibbles are elements 64c..64c+31, high the next 32.</summary>
internal unsafe struct Q4Bits : IScaleMinBits
{
    public static int BlockBytes => 144;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* bx, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<byte> q4, out Vector256<byte> q5, out Vector256<byte> q6, out Vector256<byte> q7)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var b0 = Avx.LoadVector256(bx + 16); var b1 = Avx.LoadVector256(bx + 48);
        var b2 = Avx.LoadVector256(bx + 80); var b3 = Avx.LoadVector256(bx + 112);
        q0 = b0 & m4; q1 = (b0.AsUInt16() >> 4).AsByte() & m4;
        q2 = b1 & m4; q3 = (b1.AsUInt16() >> 4).AsByte() & m4;
        q4 = b2 & m4; q5 = (b2.AsUInt16() >> 4).AsByte() & m4;
        q6 = b3 & m4; q7 = (b3.AsUInt16() >> 4).AsByte() & m4;
    }
}

/// <summary>block_q5_K: d, dmin, scales[12], qh[32], qs[128]; as Q4_K plus bit k of qh[l] as the fifth bit of element 32k + l.</summary>
internal unsafe struct Q5Bits : IScaleMinBits
{
    public static int BlockBytes => 176;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* bx, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<byte> q4, out Vector256<byte> q5, out Vector256<byte> q6, out Vector256<byte> q7)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)1);
        var h = Avx.LoadVector256(bx + 16).AsUInt16();
        var b0 = Avx.LoadVector256(bx + 48); var b1 = Avx.LoadVector256(bx + 80);
        var b2 = Avx.LoadVector256(bx + 112); var b3 = Avx.LoadVector256(bx + 144);
        q0 = (b0 & m4) | ((h.AsByte() & one).AsUInt16() << 4).AsByte();
        q1 = ((b0.AsUInt16() >> 4).AsByte() & m4) | (((h >> 1).AsByte() & one).AsUInt16() << 4).AsByte();
        q2 = (b1 & m4) | (((h >> 2).AsByte() & one).AsUInt16() << 4).AsByte();
        q3 = ((b1.AsUInt16() >> 4).AsByte() & m4) | (((h >> 3).AsByte() & one).AsUInt16() << 4).AsByte();
        q4 = (b2 & m4) | (((h >> 4).AsByte() & one).AsUInt16() << 4).AsByte();
        q5 = ((b2.AsUInt16() >> 4).AsByte() & m4) | (((h >> 5).AsByte() & one).AsUInt16() << 4).AsByte();
        q6 = (b3 & m4) | (((h >> 6).AsByte() & one).AsUInt16() << 4).AsByte();
        q7 = ((b3.AsUInt16() >> 4).AsByte() & m4) | (((h >> 7).AsByte() & one).AsUInt16() << 4).AsByte();
    }
}

/// <summary>Q3_K / Q6_K block geometry: d, the 16 signed scales, the offset as a shift (q - 2^shift) and the unsigned quants
/// of the 8 chunks of 32, element order.</summary>
internal unsafe interface IOffsetBits
{
    static abstract int BlockBytes { get; }
    static abstract int OffsetShift { get; }
    static abstract float Scale(byte* block);
    static abstract Vector128<sbyte> Scales(byte* block);
    static abstract void Unpack(byte* block, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<byte> q4, out Vector256<byte> q5, out Vector256<byte> q6, out Vector256<byte> q7);
}

/// <summary>block_q6_K: ql[128] at 0, qh[64] at 128, scales[16] (i8) at 192, d at 208; q = 4 bits of ql + 2 of qh, minus 32.</summary>
internal unsafe struct Q6Bits : IOffsetBits
{
    public static int BlockBytes => 210;
    public static int OffsetShift => 5;
    public static float Scale(byte* block) => Fp16ToFp32(*(ushort*)(block + 208));
    public static Vector128<sbyte> Scales(byte* block) => Sse2.LoadVector128((sbyte*)(block + 192));

    // elements 128h + 32k: low/high nibbles of ql, two bits of qh each
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* bx, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<byte> q4, out Vector256<byte> q5, out Vector256<byte> q6, out Vector256<byte> q7)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        var l0 = Avx.LoadVector256(bx); var l1 = Avx.LoadVector256(bx + 32);
        var l2 = Avx.LoadVector256(bx + 64); var l3 = Avx.LoadVector256(bx + 96);
        var h0 = Avx.LoadVector256(bx + 128).AsUInt16(); var h1 = Avx.LoadVector256(bx + 160).AsUInt16();
        q0 = (l0 & m4) | ((h0.AsByte() & m2).AsUInt16() << 4).AsByte();
        q1 = (l1 & m4) | (((h0 >> 2).AsByte() & m2).AsUInt16() << 4).AsByte();
        q2 = ((l0.AsUInt16() >> 4).AsByte() & m4) | (((h0 >> 4).AsByte() & m2).AsUInt16() << 4).AsByte();
        q3 = ((l1.AsUInt16() >> 4).AsByte() & m4) | (((h0 >> 6).AsByte() & m2).AsUInt16() << 4).AsByte();
        q4 = (l2 & m4) | ((h1.AsByte() & m2).AsUInt16() << 4).AsByte();
        q5 = (l3 & m4) | (((h1 >> 2).AsByte() & m2).AsUInt16() << 4).AsByte();
        q6 = ((l2.AsUInt16() >> 4).AsByte() & m4) | (((h1 >> 4).AsByte() & m2).AsUInt16() << 4).AsByte();
        q7 = ((l3.AsUInt16() >> 4).AsByte() & m4) | (((h1 >> 6).AsByte() & m2).AsUInt16() << 4).AsByte();
    }
}

/// <summary>block_q3_K: hmask[32] at 0, qs[64] at 32, scales[12] at 96, d at 108; q = 2 bits of qs + 4 * a bit of hmask,
/// minus 4.</summary>
internal unsafe struct Q3Bits : IOffsetBits
{
    public static int BlockBytes => 110;
    public static int OffsetShift => 2;
    public static float Scale(byte* block) => Fp16ToFp32(*(ushort*)(block + 108));
    public static Vector128<sbyte> Scales(byte* block) => QuantTileK.Q3Scales(block + 96);

    // chunk c = 4h + j (elements 32c..32c+31): bits 2j..2j+1 of qs[32h + l], plus 4 * bit c of hmask[l]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* bx, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<byte> q4, out Vector256<byte> q5, out Vector256<byte> q6, out Vector256<byte> q7)
    {
        var m3 = Vector256.Create((byte)0x03);
        var one = Vector256.Create((byte)0x01);
        var h = Avx.LoadVector256(bx).AsUInt16();
        var l0 = Avx.LoadVector256(bx + 32).AsUInt16(); var l1 = Avx.LoadVector256(bx + 64).AsUInt16();
        q0 = (l0.AsByte() & m3) | ((h.AsByte() & one).AsUInt16() << 2).AsByte();
        q1 = ((l0 >> 2).AsByte() & m3) | (((h >> 1).AsByte() & one).AsUInt16() << 2).AsByte();
        q2 = ((l0 >> 4).AsByte() & m3) | (((h >> 2).AsByte() & one).AsUInt16() << 2).AsByte();
        q3 = ((l0 >> 6).AsByte() & m3) | (((h >> 3).AsByte() & one).AsUInt16() << 2).AsByte();
        q4 = (l1.AsByte() & m3) | (((h >> 4).AsByte() & one).AsUInt16() << 2).AsByte();
        q5 = ((l1 >> 2).AsByte() & m3) | (((h >> 5).AsByte() & one).AsUInt16() << 2).AsByte();
        q6 = ((l1 >> 4).AsByte() & m3) | (((h >> 6).AsByte() & one).AsUInt16() << 2).AsByte();
        q7 = ((l1 >> 6).AsByte() & m3) | (((h >> 7).AsByte() & one).AsUInt16() << 2).AsByte();
    }
}

/// <summary>One weight row against <c>tokens</c> activation rows (at most <see cref="QuantTileK.MaxTokens"/>):
/// output[t * outStride] = dot(w, a + t * aRowBytes). Needs AVX2 + FMA.</summary>
internal unsafe delegate void QuantTile(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride);

internal static unsafe class QuantTileK
{
    public const int MaxTokens = 8;

    // Decoding streams every weight once from DRAM; one core alone keeps too few misses in flight, so the one-token path
    // asks for the weights this many bytes ahead (about two rows of a 2048-column Q4_K matrix): 13 -> 20 t/s on
    // TinyLlama Q4_K_M with 2 threads on the 2-core Xeon (docs/benchmarks/2026-11-26-cpu-2core).
    public const int PrefetchBytes = 2048;

    /// <summary>Prefetches the <paramref name="bytes"/> that follow <paramref name="p"/> by <see cref="PrefetchBytes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchAhead(byte* p, int bytes)
    {
        for (int o = 0; o < bytes; o += 64) Sse.Prefetch0(p + PrefetchBytes + o);
    }

    // block_q8_K: d (f32) at 0, qs[256] at 4, bsums[16] (i16) at 260; 292 bytes.
    private const int Q8KStride = 292, Q8KQs = 4, Q8KBsums = 260;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The tile kernel for <paramref name="type"/> (VNNI when the CPU has it), or null.</summary>
    public static QuantTile? For(GgmlType type) => !IsSupported ? null : AvxVnni.IsSupported ? For<VnniPairs>(type) : For<Avx2Pairs>(type);

    internal static QuantTile? For<TPairs>(GgmlType type) where TPairs : struct, IScaledPairs => type switch
    {
        GgmlType.Q2_K => Q2_K<TPairs>,
        GgmlType.Q3_K => Q3_K<TPairs>,
        GgmlType.Q4_K => Q4_K<TPairs>,
        GgmlType.Q5_K => Q5_K<TPairs>,
        GgmlType.Q6_K => Q6_K<TPairs>,
        _ => null,
    };

    public static void Q4_K<TPairs>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs => ScaleMin<TPairs, Q4Bits>(w, a, aRowBytes, tokens, n, output, outStride);

    public static void Q5_K<TPairs>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs => ScaleMin<TPairs, Q5Bits>(w, a, aRowBytes, tokens, n, output, outStride);

    /// <summary>Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins, w = d*s*q - dmin*m.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleMin<TPairs, TBits>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs where TBits : struct, IScaleMinBits
    {
        if ((uint)tokens > MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {MaxTokens} tokens per tile");
        // The min term of each token is summed per block in scalar fp32 (the order that reproduces llama.cpp's logits bit
        // for bit): one token keeps it in a register, a tile keeps token t's sum in lane t of one vector.
        var acc = stackalloc Vector256<float>[MaxTokens];
        var prods = stackalloc Vector256<int>[MaxTokens];   // per token: m_j times its 16 block sums, paired
        var yds = stackalloc float[MaxTokens];
        for (int t = 0; t < MaxTokens; t++) { acc[t] = default; prods[t] = default; yds[t] = 0; }
        Vector256<float> acc1 = default, accm = default;
        float accm1 = 0;
        int nb = n / 256;
        for (int i = 0; i < nb; i++)
        {
            byte* bx = w + i * TBits.BlockBytes;
            float dx = Fp16ToFp32(*(ushort*)bx), dminx = Fp16ToFp32(*(ushort*)(bx + 2));
            ScalesMins(bx + 4, out ulong scales8, out ulong mins8);
            var sm = Avx2.ConvertToVector256Int16(Vector128.Create(scales8, mins8).AsByte());
            var mins = sm.GetUpper();
            var mdup = Vector256.Create(Sse2.UnpackLow(mins, mins), Sse2.UnpackHigh(mins, mins)); // m_j for both sums of sub-block j
            var sc = Vector256.Create(sm.GetLower(), sm.GetLower()).AsByte();
            // scale of sub-block j broadcast to 16 int16 lanes (bytes 2j, 2j+1 in each 128-bit half)
            var s0 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0100).AsByte()).AsInt16();
            var s1 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0302).AsByte()).AsInt16();
            var s2 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0504).AsByte()).AsInt16();
            var s3 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0706).AsByte()).AsInt16();
            var s4 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0908).AsByte()).AsInt16();
            var s5 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0b0a).AsByte()).AsInt16();
            var s6 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0d0c).AsByte()).AsInt16();
            var s7 = Avx2.Shuffle(sc, Vector256.Create((ushort)0x0f0e).AsByte()).AsInt16();
            TBits.Unpack(bx, out var q0, out var q1, out var q2, out var q3, out var q4, out var q5, out var q6, out var q7);
            if (tokens == 1)
            {
                PrefetchAhead(bx, TBits.BlockBytes);
                byte* by = a + i * Q8KStride;
                float yd = *(float*)by;
                var sumi = BlockSum<TPairs>((sbyte*)(by + Q8KQs), q0, q1, q2, q3, q4, q5, q6, q7, s0, s1, s2, s3, s4, s5, s6, s7);
                acc1 = Fma.MultiplyAdd(Vector256.Create(yd * dx), Avx.ConvertToVector256Single(sumi), acc1);
                int summ = Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(by + Q8KBsums)), mdup));
                accm1 -= dminx * yd * summ;
                continue;
            }
            for (int t = 0; t < tokens; t++)
            {
                byte* by = a + t * aRowBytes + i * Q8KStride;
                float yd = *(float*)by;
                var sumi = BlockSum<TPairs>((sbyte*)(by + Q8KQs), q0, q1, q2, q3, q4, q5, q6, q7, s0, s1, s2, s3, s4, s5, s6, s7);
                acc[t] = Fma.MultiplyAdd(Vector256.Create(yd * dx), Avx.ConvertToVector256Single(sumi), acc[t]);
                prods[t] = Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(by + Q8KBsums)), mdup);
                yds[t] = yd;
            }
            // lane t = the whole integer min sum of token t (exact), then the same fp32 operations as the scalar line above
            var h0123 = Avx2.HorizontalAdd(Avx2.HorizontalAdd(prods[0], prods[1]), Avx2.HorizontalAdd(prods[2], prods[3]));
            var h4567 = Avx2.HorizontalAdd(Avx2.HorizontalAdd(prods[4], prods[5]), Avx2.HorizontalAdd(prods[6], prods[7]));
            var summs = Avx2.Permute2x128(h0123, h4567, 0x20) + Avx2.Permute2x128(h0123, h4567, 0x31);
            accm -= Vector256.Create(dminx) * Vector256.Load(yds) * Avx.ConvertToVector256Single(summs);
        }
        if (tokens == 1) { output[0] = Vector256.Sum(acc1) + accm1; return; }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]) + accm.GetElement(t);
    }

    /// <summary>sum_j s_j * (q · y over the 32 elements of sub-block j) in 8 int32 lanes, two chains (vpdpwssd latency 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlockSum<TPairs>(sbyte* y,
        Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3,
        Vector256<byte> q4, Vector256<byte> q5, Vector256<byte> q6, Vector256<byte> q7,
        Vector256<short> s0, Vector256<short> s1, Vector256<short> s2, Vector256<short> s3,
        Vector256<short> s4, Vector256<short> s5, Vector256<short> s6, Vector256<short> s7,
        Vector256<int> start = default)
        where TPairs : struct, IScaledPairs
    {
        var sa = start;
        var sb = Vector256<int>.Zero;
        sa = TPairs.Accumulate(sa, Avx2.MultiplyAddAdjacent(q0, Avx.LoadVector256(y)), s0);
        sb = TPairs.Accumulate(sb, Avx2.MultiplyAddAdjacent(q1, Avx.LoadVector256(y + 32)), s1);
        sa = TPairs.Accumulate(sa, Avx2.MultiplyAddAdjacent(q2, Avx.LoadVector256(y + 64)), s2);
        sb = TPairs.Accumulate(sb, Avx2.MultiplyAddAdjacent(q3, Avx.LoadVector256(y + 96)), s3);
        sa = TPairs.Accumulate(sa, Avx2.MultiplyAddAdjacent(q4, Avx.LoadVector256(y + 128)), s4);
        sb = TPairs.Accumulate(sb, Avx2.MultiplyAddAdjacent(q5, Avx.LoadVector256(y + 160)), s5);
        sa = TPairs.Accumulate(sa, Avx2.MultiplyAddAdjacent(q6, Avx.LoadVector256(y + 192)), s6);
        sb = TPairs.Accumulate(sb, Avx2.MultiplyAddAdjacent(q7, Avx.LoadVector256(y + 224)), s7);
        return sa + sb;
    }

    /// <summary>Q2_K: 16 sub-blocks of 16 with 4-bit scales and mins, w = d*s*q - dmin*m (q 0..3); per token the min
    /// term then the scaled sum go into the vector accumulator, as ggml's AVX2 ggml_vec_dot_q2_K_q8_K.</summary>
    [SkipLocalsInit]
    public static void Q2_K<TPairs>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs
    {
        if ((uint)tokens > MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {MaxTokens} tokens per tile");
        var acc = stackalloc Vector256<float>[MaxTokens];
        for (int t = 0; t < tokens; t++) acc[t] = default;
        Vector256<float> acc1 = default;   // one token: the accumulator stays in a register
        var m3 = Vector256.Create((byte)0x03);
        int nb = n / 256;
        for (int i = 0; i < nb; i++)
        {
            // block_q2_K: scales[16] (low nibble scale, high nibble min) at 0, qs[64] at 16, d at 80, dmin at 82
            byte* bx = w + i * 84;
            if (tokens == 1) PrefetchAhead(bx, 84);
            float dx = Fp16ToFp32(*(ushort*)(bx + 80)), dminx = Fp16ToFp32(*(ushort*)(bx + 82));
            var packed = Sse2.LoadVector128(bx);
            var sc8 = (packed & Vector128.Create((byte)0x0F)).AsSByte();
            var mins16 = Avx2.ConvertToVector256Int16((packed.AsUInt16() >> 4).AsByte() & Vector128.Create((byte)0x0F));
            var s0 = ChunkScales(sc8, 0); var s1 = ChunkScales(sc8, 1);
            var s2 = ChunkScales(sc8, 2); var s3 = ChunkScales(sc8, 3);
            var s4 = ChunkScales(sc8, 4); var s5 = ChunkScales(sc8, 5);
            var s6 = ChunkScales(sc8, 6); var s7 = ChunkScales(sc8, 7);
            // elements 128h + 32j: bits 2j..2j+1 of qs[32h .. 32h+31]
            var l0 = Avx.LoadVector256(bx + 16).AsUInt16(); var l1 = Avx.LoadVector256(bx + 48).AsUInt16();
            var q0 = l0.AsByte() & m3; var q1 = (l0 >> 2).AsByte() & m3; var q2 = (l0 >> 4).AsByte() & m3; var q3 = (l0 >> 6).AsByte() & m3;
            var q4 = l1.AsByte() & m3; var q5 = (l1 >> 2).AsByte() & m3; var q6 = (l1 >> 4).AsByte() & m3; var q7 = (l1 >> 6).AsByte() & m3;
            for (int t = 0; t < tokens; t++)
            {
                byte* by = a + t * aRowBytes + i * Q8KStride;
                float yd = *(float*)by;
                var prod = Avx2.MultiplyAddAdjacent(mins16, Avx.LoadVector256((short*)(by + Q8KBsums)));
                var sumi = BlockSum<TPairs>((sbyte*)(by + Q8KQs), q0, q1, q2, q3, q4, q5, q6, q7, s0, s1, s2, s3, s4, s5, s6, s7);
                var sum = tokens == 1 ? acc1 : acc[t];
                sum = Fma.MultiplyAdd(Vector256.Create(-yd * dminx), Avx.ConvertToVector256Single(prod), sum);
                sum = Fma.MultiplyAdd(Vector256.Create(yd * dx), Avx.ConvertToVector256Single(sumi), sum);
                if (tokens == 1) acc1 = sum;
                else acc[t] = sum;
            }
        }
        if (tokens == 1) { output[0] = Vector256.Sum(acc1); return; }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]);
    }

    public static void Q3_K<TPairs>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs => Offset<TPairs, Q3Bits>(w, a, aRowBytes, tokens, n, output, outStride);

    public static void Q6_K<TPairs>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs => Offset<TPairs, Q6Bits>(w, a, aRowBytes, tokens, n, output, outStride);

    /// <summary>Q3_K and Q6_K: 16 sub-blocks of 16 with signed scales, w = d*s*(q - offset); the offset term is taken from
    /// the activation block sums (-offset * sum_j s_j * bsum_j), the rest is unsigned q times y.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offset<TPairs, TBits>(byte* w, byte* a, long aRowBytes, int tokens, int n, float* output, long outStride)
        where TPairs : struct, IScaledPairs where TBits : struct, IOffsetBits
    {
        if ((uint)tokens > MaxTokens) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"at most {MaxTokens} tokens per tile");
        var acc = stackalloc Vector256<float>[MaxTokens];
        for (int t = 0; t < tokens; t++) acc[t] = default;
        Vector256<float> acc1 = default;   // one token: the accumulator stays in a register
        int nb = n / 256;
        for (int i = 0; i < nb; i++)
        {
            byte* bx = w + i * TBits.BlockBytes;
            if (tokens == 1) PrefetchAhead(bx, TBits.BlockBytes);
            float dx = TBits.Scale(bx);
            var sc8 = TBits.Scales(bx);
            var sc16 = Avx2.ConvertToVector256Int16(sc8);
            // chunk c (32 elements) has sub-blocks 2c and 2c+1: their scales in the low and high 8 int16 lanes
            var s0 = ChunkScales(sc8, 0); var s1 = ChunkScales(sc8, 1);
            var s2 = ChunkScales(sc8, 2); var s3 = ChunkScales(sc8, 3);
            var s4 = ChunkScales(sc8, 4); var s5 = ChunkScales(sc8, 5);
            var s6 = ChunkScales(sc8, 6); var s7 = ChunkScales(sc8, 7);
            TBits.Unpack(bx, out var q0, out var q1, out var q2, out var q3, out var q4, out var q5, out var q6, out var q7);
            for (int t = 0; t < tokens; t++)
            {
                byte* by = a + t * aRowBytes + i * Q8KStride;
                var offset = Avx2.MultiplyAddAdjacent(sc16, Avx.LoadVector256((short*)(by + Q8KBsums))) << TBits.OffsetShift;
                var sumi = BlockSum<TPairs>((sbyte*)(by + Q8KQs), q0, q1, q2, q3, q4, q5, q6, q7, s0, s1, s2, s3, s4, s5, s6, s7,
                    Vector256<int>.Zero - offset);
                var d = Vector256.Create(*(float*)by * dx);
                if (tokens == 1) acc1 = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(sumi), acc1);
                else acc[t] = Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(sumi), acc[t]);
            }
        }
        if (tokens == 1) { output[0] = Vector256.Sum(acc1); return; }
        for (int t = 0; t < tokens; t++) output[t * outStride] = Vector256.Sum(acc[t]);
    }

    /// <summary>The 16 signed scales (6-bit, minus 32) of a Q3_K block from its 12 packed bytes (ggml's kmask shuffle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> Q3Scales(byte* packed)
    {
        const uint kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        uint a0 = *(uint*)packed, a1 = *(uint*)(packed + 4), tmp = *(uint*)(packed + 8);
        uint s2 = ((a0 >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        uint s3 = ((a1 >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        uint s0 = (a0 & kmask2) | ((tmp & kmask1) << 4);
        uint s1 = (a1 & kmask2) | (((tmp >> 2) & kmask1) << 4);
        return Vector128.Create(s0, s1, s2, s3).AsSByte() - Vector128.Create((sbyte)32);
    }

    /// <summary>Scales 2c and 2c+1 (int8) widened to int16 and broadcast to the low and high 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ChunkScales(Vector128<sbyte> scales, int c) =>
        Avx2.ConvertToVector256Int16(Ssse3.Shuffle(scales,
            Vector128.Create((ulong)(0x0101010101010101UL * (uint)(2 * c)), 0x0101010101010101UL * (uint)(2 * c + 1)).AsSByte()));

    /// <summary>The 8 scales and 8 mins of a Q4_K/Q5_K block from its 12 packed bytes (ggml's utmp shuffle).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScalesMins(byte* packed, out ulong scales, out ulong mins)
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
}
