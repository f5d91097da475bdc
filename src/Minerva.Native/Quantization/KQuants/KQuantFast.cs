// Fast Q4_K, Q5_K and Q6_K row quantizers, byte-identical to the references in Q4_K.cs, Q5_K.cs and Q6_K.cs: the per
// sub-block searches run one sub-block per lane (KQuantSearchLanes), the rest of each block follows the reference step by
// step. MINERVA_SIMD picks the tier as for the vec-dots; the scalar tier is the reference itself.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Backends.Cpu.Kernels;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

internal static unsafe class KQuantFast
{
    public static void QuantizeQ4_K(ReadOnlySpan<float> x, Span<byte> blocks) => QuantizeQ4_K(x, blocks, QuantDot.Tier);
    public static void QuantizeQ5_K(ReadOnlySpan<float> x, Span<byte> blocks) => QuantizeQ5_K(x, blocks, QuantDot.Tier);
    public static void QuantizeQ6_K(ReadOnlySpan<float> x, Span<byte> blocks) => QuantizeQ6_K(x, blocks, QuantDot.Tier);

    /// <summary>The tier <paramref name="wanted"/> runs at on this CPU.</summary>
    internal static SimdTier Served(SimdTier wanted) => wanted > QuantDot.Available ? QuantDot.Available : wanted;

    /// <summary>Quantizes at <paramref name="tier"/> (capped at what the CPU has); returns the tier that ran.</summary>
    internal static SimdTier QuantizeQ4_K(ReadOnlySpan<float> x, Span<byte> blocks, SimdTier tier)
    {
        var served = Served(tier);
        if (served == SimdTier.Avx512) Qkx2Row<KLanes512, Vector512<float>>(x, blocks, q5: false);
        else if (served == SimdTier.Avx2) Qkx2Row<KLanes256, Vector256<float>>(x, blocks, q5: false);
        else Q4_K.Quantize(x, blocks);
        return served;
    }

    internal static SimdTier QuantizeQ5_K(ReadOnlySpan<float> x, Span<byte> blocks, SimdTier tier)
    {
        var served = Served(tier);
        if (served == SimdTier.Avx512) Qkx2Row<KLanes512, Vector512<float>>(x, blocks, q5: true);
        else if (served == SimdTier.Avx2) Qkx2Row<KLanes256, Vector256<float>>(x, blocks, q5: true);
        else Q5_K.Quantize(x, blocks);
        return served;
    }

    internal static SimdTier QuantizeQ6_K(ReadOnlySpan<float> x, Span<byte> blocks, SimdTier tier)
    {
        var served = Served(tier);
        if (served == SimdTier.Avx512) Q6Row<KLanes512, Vector512<float>>(x, blocks);
        else if (served == SimdTier.Avx2) Q6Row<KLanes256, Vector256<float>>(x, blocks);
        else Q6_K.Quantize(x, blocks);
        return served;
    }

    // Q4_K / Q5_K: lane k of a group is sub-block k % 8 of block k / 8 (8 lanes: one block, 16 lanes: two).
    private static void Qkx2Row<TL, TV>(ReadOnlySpan<float> xs, Span<byte> blocks, bool q5)
        where TL : struct, IKLanes<TV> where TV : unmanaged
    {
        QuantMath.CheckRow(xs.Length, 256, q5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K), blocks.Length, q5 ? "Q5_K" : "Q4_K");
        int c = TL.Count, nb = xs.Length / 256;
        int nmax = q5 ? 31 : 15, nstep = q5 ? 15 : 20;
        float rmin = q5 ? -0.5f : -1f;
        float* xt = stackalloc float[32 * 16];   // [32, c] element i of every lane's sub-block
        float* wt = stackalloc float[32 * 16];   // [32, c] weights
        float* laux = stackalloc float[32 * 16]; // [32, c] levels of the current trial
        float* scales = stackalloc float[16];
        float* mins = stackalloc float[16];
        var winners = stackalloc KQuantSearchLanes.Winner[16];
        Span<float> L = stackalloc float[256];
        fixed (float* px = xs)
        {
            for (int g = 0; g < nb; g += c / 8)
            {
                for (int k = 0; k < c; k++)
                {
                    int blk = g + k / 8;
                    float* src = px + blk * 256 + (k % 8) * 32;
                    if (blk < nb) for (int i = 0; i < 32; i++) xt[i * c + k] = src[i];
                    else for (int i = 0; i < 32; i++) xt[i * c + k] = 0f;
                }
                TV sumX2 = TL.Splat(0f);
                for (int i = 0; i < 32; i++)
                {
                    TV xi = TL.Load(xt + i * c);
                    sumX2 = TL.Add(sumX2, TL.Mul(xi, xi));
                }
                TV avX = TL.Sqrt(TL.Div(sumX2, TL.Splat(32f)));
                for (int i = 0; i < 32; i++) TL.Store(TL.Add(avX, TL.Abs(TL.Load(xt + i * c))), wt + i * c);
                KQuantSearchLanes.Qkx2<TL, TV>(32, nmax, xt, wt, laux, rmin, 0.1f, nstep, scales, mins, winners);
                for (int k = 0; k < c / 8 && g + k < nb; k++)
                {
                    var x = xs.Slice((g + k) * 256, 256);
                    var block = blocks.Slice((g + k) * (q5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K)));
                    int o = 8 * k;
                    if (q5) FinishQ5(x, ref MemoryMarshal.AsRef<BlockQ5_K>(block), scales + o, mins + o, winners + o, L);
                    else FinishQ4(x, ref MemoryMarshal.AsRef<BlockQ4_K>(block), scales + o, mins + o, winners + o, L);
                }
            }
        }

        // Both formats share everything up to the final levels in L; only the bit packing differs.
        static void Finish(ReadOnlySpan<float> x, int nmax, float* scales, float* mins, KQuantSearchLanes.Winner* winners,
            Span<float> L, out ushort dOut, out ushort dminOut, Span<byte> packed)
        {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; ++j)
            {
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            packed.Clear();
            for (int j = 0; j < 8; ++j)
            {
                byte ls = (byte)NearestInt(invScale * scales[j]);
                byte lm = (byte)NearestInt(invMin * mins[j]);
                KQuantSearch.PackScalesMins(packed, j, Math.Min((byte)63, ls), Math.Min((byte)63, lm));
            }
            dOut = Fp32ToFp16(maxScale / 63f);
            dminOut = Fp32ToFp16(maxMin / 63f);
            float dAll = Fp16ToFp32(dOut), dminAll = Fp16ToFp32(dminOut);
            TV zero = TL.Splat(0f), top = TL.Splat(nmax);
            for (int j = 0; j < 8; ++j)
            {
                KQuantSearch.GetScaleMinK4(j, packed, out byte sc, out byte m);
                float d = dAll * sc;
                if (d == 0)
                {
                    KQuantSearchLanes.Qkx2Levels(winners[j], nmax, x.Slice(32 * j, 32), L.Slice(32 * j));
                    continue;
                }
                TV vd = TL.Splat(d), vdm = TL.Splat(dminAll * m);
                fixed (float* px = x, pl = L)
                {
                    for (int ii = 0; ii < 32; ii += TL.Count)
                        TL.Store(TL.NearestClamped(TL.Div(TL.Add(TL.Load(px + 32 * j + ii), vdm), vd), zero, top), pl + 32 * j + ii);
                }
            }
        }

        static void FinishQ4(ReadOnlySpan<float> x, ref BlockQ4_K b, float* scales, float* mins, KQuantSearchLanes.Winner* winners, Span<float> L)
        {
            fixed (byte* sc = b.scales)
                Finish(x, 15, scales, mins, winners, L, out b.d, out b.dmin, new Span<byte>(sc, 12));
            int q = 0;
            for (int j = 0; j < 256; j += 64)
            {
                for (int l = 0; l < 32; ++l) b.qs[q + l] = (byte)((int)L[j + l] | ((int)L[j + l + 32] << 4));
                q += 32;
            }
        }

        static void FinishQ5(ReadOnlySpan<float> x, ref BlockQ5_K b, float* scales, float* mins, KQuantSearchLanes.Winner* winners, Span<float> L)
        {
            fixed (byte* sc = b.scales)
                Finish(x, 31, scales, mins, winners, L, out b.d, out b.dmin, new Span<byte>(sc, 12));
            for (int j = 0; j < 32; ++j) b.qh[j] = 0;
            byte m1 = 1, m2 = 2;
            int ql = 0;
            for (int n = 0; n < 256; n += 64)
            {
                for (int j = 0; j < 32; ++j)
                {
                    int l1 = (int)L[n + j];
                    if (l1 > 15) { l1 -= 16; b.qh[j] |= m1; }
                    int l2 = (int)L[n + j + 32];
                    if (l2 > 15) { l2 -= 16; b.qh[j] |= m2; }
                    b.qs[ql + j] = (byte)(l1 | (l2 << 4));
                }
                m1 <<= 2; m2 <<= 2;
                ql += 32;
            }
        }
    }

    // Q6_K: lane k of a group is sub-block (h * c + k) of one block, h = 0 .. 16 / c - 1.
    private static void Q6Row<TL, TV>(ReadOnlySpan<float> xs, Span<byte> blocks)
        where TL : struct, IKLanes<TV> where TV : unmanaged
    {
        QuantMath.CheckRow(xs.Length, 256, sizeof(BlockQ6_K), blocks.Length, "Q6_K");
        var y = MemoryMarshal.Cast<byte, BlockQ6_K>(blocks);
        int c = TL.Count, nb = xs.Length / 256;
        float* xt = stackalloc float[16 * 16];   // [16, c]
        float* wx = stackalloc float[16 * 16];   // [16, c]
        float* scales = stackalloc float[16];
        var winners = stackalloc KQuantSearchLanes.Winner[16];
        Span<float> L = stackalloc float[256];
        TV lo = TL.Splat(-32f), hi = TL.Splat(31f), bias = TL.Splat(32f);
        fixed (float* px = xs)
        {
            for (int i = 0; i < nb; i++)
            {
                float* xb = px + i * 256;
                for (int h = 0; h < 16 / c; h++)
                {
                    for (int k = 0; k < c; k++)
                    {
                        float* src = xb + 16 * (h * c + k);
                        for (int ii = 0; ii < 16; ii++) xt[ii * c + k] = src[ii];
                    }
                    KQuantSearchLanes.Qx<TL, TV>(16, 32, xt, wx, scales + h * c, winners + h * c);
                }
                ref var b = ref y[i];
                var x = xs.Slice(i * 256, 256);
                float maxScale = 0, maxAbsScale = 0;
                for (int ib = 0; ib < 16; ++ib)
                {
                    float absScale = MathF.Abs(scales[ib]);
                    if (absScale > maxAbsScale) { maxAbsScale = absScale; maxScale = scales[ib]; }
                }
                if (maxAbsScale < 1e-15f)
                {
                    MemoryMarshal.AsBytes(new Span<BlockQ6_K>(ref b)).Clear();
                    b.d = Fp32ToFp16(0f);
                    continue;
                }
                float iscale = -128f / maxScale;
                b.d = Fp32ToFp16(1 / iscale);
                for (int ib = 0; ib < 16; ++ib) b.scales[ib] = (sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
                float dAll = Fp16ToFp32(b.d);
                fixed (float* pl = L)
                {
                    for (int j = 0; j < 16; ++j)
                    {
                        float d = dAll * b.scales[j];
                        if (d == 0)
                        {
                            KQuantSearchLanes.QxLevels(winners[j], 32, x.Slice(16 * j, 16), L.Slice(16 * j));
                            continue;
                        }
                        TV vd = TL.Splat(d);
                        for (int ii = 0; ii < 16; ii += c)
                            TL.Store(TL.Add(TL.NearestClamped(TL.Div(TL.Load(xb + 16 * j + ii), vd), lo, hi), bias), pl + 16 * j + ii);
                    }
                }
                for (int j = 0, ql = 0, qh = 0; j < 256; j += 128, ql += 64, qh += 32)
                {
                    for (int l = 0; l < 32; ++l)
                    {
                        int l1 = (int)L[j + l + 0], l2 = (int)L[j + l + 32], l3 = (int)L[j + l + 64], l4 = (int)L[j + l + 96];
                        b.ql[ql + l + 0] = (byte)((l1 & 0xF) | ((l3 & 0xF) << 4));
                        b.ql[ql + l + 32] = (byte)((l2 & 0xF) | ((l4 & 0xF) << 4));
                        b.qh[qh + l] = (byte)((l1 >> 4) | ((l2 >> 4) << 2) | ((l3 >> 4) << 4) | ((l4 >> 4) << 6));
                    }
                }
            }
        }
    }
}
