// Fast Q4_K, Q5_K and Q6_K row quantizers, byte-identical to the references in Q4_K.cs, Q5_K.cs and Q6_K.cs: the per
// sub-block searches run one sub-block per lane (KQuantSearchLanes), the rest of each block follows the reference step by
// step. MINERVA_SIMD picks the tier as for the vec-dots; the scalar tier is the reference itself.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Simd;
using static Minerva.Native.Quantization.QuantMath;

namespace Minerva.Native.Quantization.KQuants;

internal static unsafe class KQuantFast
{
    public static void QuantizeQ4_K(ReadOnlySpan<float> x, Span<byte> blocks) => QuantizeQ4_K(x, blocks, SimdSupport.Tier);
    public static void QuantizeQ5_K(ReadOnlySpan<float> x, Span<byte> blocks) => QuantizeQ5_K(x, blocks, SimdSupport.Tier);
    public static void QuantizeQ6_K(ReadOnlySpan<float> x, Span<byte> blocks) => QuantizeQ6_K(x, blocks, SimdSupport.Tier);

    /// <summary>The tier <paramref name="wanted"/> runs at on this CPU.</summary>
    internal static SimdTier Served(SimdTier wanted) => wanted > SimdSupport.Available ? SimdSupport.Available : wanted;

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
        byte* L = stackalloc byte[256];
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
                    if (q5) FinishQ5(x, px + (g + k) * 256, ref MemoryMarshal.AsRef<BlockQ5_K>(block), scales + o, mins + o, winners + o, L);
                    else FinishQ4(x, px + (g + k) * 256, ref MemoryMarshal.AsRef<BlockQ4_K>(block), scales + o, mins + o, winners + o, L);
                }
            }
        }

        // Both formats share everything up to the final levels in L; only the bit packing differs.
        static void Finish(ReadOnlySpan<float> x, float* px, int nmax, float* scales, float* mins, KQuantSearchLanes.Winner* winners,
            byte* L, out ushort dOut, out ushort dminOut, Span<byte> packed)
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
                    KQuantSearchLanes.Qkx2Levels(winners[j], nmax, x.Slice(32 * j, 32), new Span<byte>(L + 32 * j, 32));
                    continue;
                }
                TV vd = TL.Splat(d), vdm = TL.Splat(dminAll * m);
                for (int ii = 0; ii < 32; ii += TL.Count)
                    TL.StoreBytes(TL.NearestClamped(TL.Div(TL.Add(TL.Load(px + 32 * j + ii), vdm), vd), zero, top), L + 32 * j + ii);
            }
        }

        static void FinishQ4(ReadOnlySpan<float> x, float* px, ref BlockQ4_K b, float* scales, float* mins, KQuantSearchLanes.Winner* winners, byte* L)
        {
            fixed (byte* sc = b.scales)
                Finish(x, px, 15, scales, mins, winners, L, out b.d, out b.dmin, new Span<byte>(sc, 12));
            fixed (byte* qs = b.qs)
            {
                for (int j = 0; j < 256; j += 64)
                    (Vector256.Load(L + j) | Vector256.Load(L + j + 32) << 4).Store(qs + j / 2);
            }
        }

        static void FinishQ5(ReadOnlySpan<float> x, float* px, ref BlockQ5_K b, float* scales, float* mins, KQuantSearchLanes.Winner* winners, byte* L)
        {
            fixed (byte* sc = b.scales)
                Finish(x, px, 31, scales, mins, winners, L, out b.d, out b.dmin, new Span<byte>(sc, 12));
            // qh bit 2s of byte j: level n + j > 15, bit 2s + 1: level n + j + 32 > 15 (n = 64 s); qs keeps the low nibbles.
            var low = Vector256.Create((byte)0xF);
            var qh = Vector256<byte>.Zero;
            fixed (byte* qs = b.qs, qhp = b.qh)
            {
                for (int n = 0, s = 0; n < 256; n += 64, s += 2)
                {
                    Vector256<byte> l1 = Vector256.Load(L + n), l2 = Vector256.Load(L + n + 32);
                    ((l1 & low) | (l2 & low) << 4).Store(qs + n / 2);
                    qh |= (l1 >> 4) << s | (l2 >> 4) << (s + 1);
                }
                qh.Store(qhp);
            }
        }
    }

    // Q6_K: lane k of a group is sub-block (h * c + k) of one block, h = 0 .. 16 / c - 1.
    private static void Q6Row<TL, TV>(ReadOnlySpan<float> xs, Span<byte> blocks)
        where TL : struct, IKLanes<TV> where TV : unmanaged
    {
        QuantMath.CheckRow(xs.Length, 256, sizeof(BlockQ6_K), blocks.Length, "Q6_K");
        int c = TL.Count, nb = xs.Length / 256;
        float* xt = stackalloc float[16 * 16];   // [16, c]
        float* wx = stackalloc float[16 * 16];   // [16, c]
        float* scales = stackalloc float[16];
        var winners = stackalloc KQuantSearchLanes.Winner[16];
        byte* L = stackalloc byte[256];
        TV lo = TL.Splat(-32f), hi = TL.Splat(31f), bias = TL.Splat(32f);
        fixed (float* px = xs)
        fixed (byte* pb = blocks)
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
                var b = (BlockQ6_K*)pb + i;
                var x = xs.Slice(i * 256, 256);
                float maxScale = 0, maxAbsScale = 0;
                for (int ib = 0; ib < 16; ++ib)
                {
                    float absScale = MathF.Abs(scales[ib]);
                    if (absScale > maxAbsScale) { maxAbsScale = absScale; maxScale = scales[ib]; }
                }
                if (maxAbsScale < 1e-15f)
                {
                    new Span<byte>(b, sizeof(BlockQ6_K)).Clear();
                    b->d = Fp32ToFp16(0f);
                    continue;
                }
                float iscale = -128f / maxScale;
                b->d = Fp32ToFp16(1 / iscale);
                for (int ib = 0; ib < 16; ++ib) b->scales[ib] = (sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
                float dAll = Fp16ToFp32(b->d);
                for (int j = 0; j < 16; ++j)
                {
                    float d = dAll * b->scales[j];
                    if (d == 0)
                    {
                        KQuantSearchLanes.QxLevels(winners[j], 32, x.Slice(16 * j, 16), new Span<byte>(L + 16 * j, 16));
                        continue;
                    }
                    TV vd = TL.Splat(d);
                    for (int ii = 0; ii < 16; ii += c)
                        TL.StoreBytes(TL.Add(TL.NearestClamped(TL.Div(TL.Load(xb + 16 * j + ii), vd), lo, hi), bias), L + 16 * j + ii);
                }
                var low = Vector256.Create((byte)0xF);
                for (int j = 0; j < 256; j += 128)
                {
                    Vector256<byte> l1 = Vector256.Load(L + j), l2 = Vector256.Load(L + j + 32);
                    Vector256<byte> l3 = Vector256.Load(L + j + 64), l4 = Vector256.Load(L + j + 96);
                    ((l1 & low) | (l3 & low) << 4).Store(b->ql + j / 2);
                    ((l2 & low) | (l4 & low) << 4).Store(b->ql + j / 2 + 32);
                    ((l1 >> 4) | (l2 >> 4) << 2 | (l3 >> 4) << 4 | (l4 >> 4) << 6).Store(b->qh + j / 4);
                }
            }
        }
    }
}
