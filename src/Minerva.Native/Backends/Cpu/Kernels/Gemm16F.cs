// y[t, r] = sum_k w[r, k] x[t, k] for F16 and BF16 weights repacked by Repack16 into 16-row panels ([k][16 rows], the file's
// own 16-bit values, row r in lane r): an outer-product micro-kernel, each k one weight vector per 16 rows times the
// token's x[k] broadcast, fp32 FMA into one accumulator per (row, token) in k order (BLIS-style; the order is the same
// for every tile, so a batch and token-by-token decoding agree bit for bit). Above 8 tokens the panels are widened to F32
// once per call and the F32 kernel runs on them (the widening is exact, the products and their order unchanged). F16
// panels without infinities or NaNs are read as w * 2^-112 against activations times 2^112 (F16ScaledLoader): three
// instructions per 16 weights instead of nine, the same products.
// BF16 keeps Dot.Run's order (ggml_vec_dot_bf16's AVX-512 form: lane l of accumulator j sums columns 64s + 16j + l over s,
// then (a0 + a1) + (a2 + a3) and Vector512.Sum): one sequential chain per output moves BF16 logits by ~1e-2 against
// llama.cpp (a summation difference flips later BF16 roundings; LogitsVsLlamaCppTests' median bound is 1e-5). So its
// panels hold the columns lane-split, k' = c * S + s for column 64s + c (S = columns / 64, activations permuted alike by
// PrepareActivationsJob): segment c (S consecutive k') is exactly Dot.Run's lane (j, l) = (c / 16, c % 16), summed from
// zero by the same kernel, and the 64 segment sums of each output are added in Dot.Run's order, 16 rows per vector.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Gemm16F
{
    /// <summary>Panels (of 16 rows) one kernel call covers for a batch. One token takes one panel per call, a single stream
    /// per thread: F16 and BF16 decode +3-4 % against 4 panels (TinyLlama, per-step A/B in one process on the 2-core Zen 4).</summary>
    public const int PanelsPerCall = 4;

    /// <summary>Columns of one BF16 lane-split step: Dot.Run's four 16-lane accumulators at AVX-512.</summary>
    public const int SplitColumns = 64;

    /// <summary>Bytes of one worker's scratch: <see cref="PanelsPerCall"/> widened panels of <paramref name="columns"/>, and for
    /// BF16 the segment sums of one tile ([64 segments][4 tokens][64 rows] F32).</summary>
    public static long ScratchBytes(GgmlType type, int columns) =>
        (long)PanelsPerCall * 16 * columns * sizeof(float) + (type == GgmlType.BF16 ? SegmentBytes : 0);

    private const int SegmentStride = 4 * 16 * PanelsPerCall;                  // floats of one segment's sums
    private const long SegmentBytes = (long)SplitColumns * SegmentStride * sizeof(float);

    /// <summary>Whether a BF16 weight of this many columns can be lane-split (whole 64-column steps: Dot.Run has no tail).</summary>
    public static bool SplitsBF16(long columns) => columns > 0 && columns % SplitColumns == 0;

    /// <summary>Every token of x ([tokens, xStride] F32, already rounded to the weight type as ggml does) against
    /// <paramref name="panels"/> consecutive panels of 16-bit weights, into output[t * outStride + 16 p + lane].</summary>
    /// <remarks>With <paramref name="f16Scaled"/> (F16 panels without infinities or NaNs, CpuWeight.F16Scaled) the panels
    /// are read by <see cref="F16ScaledLoader"/> and x must hold the F16-rounded activations times 2^112. BF16 panels are
    /// lane-split (column 64s + c at k' = c * S + s), x permuted alike. <paramref name="scratch"/> (<see cref="ScratchBytes"/>)
    /// is needed above 8 tokens and for BF16.</remarks>
    public static void Multiply(GgmlType type, bool f16Scaled, ushort* w, int panels, int columns, float* x, long xStride, int tokens,
        float* output, long outStride, float* scratch)
    {
        long panelElements = 16L * columns;
        float* segments = scratch + PanelsPerCall * panelElements;
        int per = tokens == 1 ? 1 : PanelsPerCall;
        for (int p0 = 0; p0 < panels; p0 += per)
        {
            int count = Math.Min(per, panels - p0);
            ushort* wp = w + p0 * panelElements;
            float* o = output + 16 * p0;
            if (tokens > MatMulJob.WidenAboveTokens)
            {
                int n = checked((int)(count * panelElements));
                if (f16Scaled) HalfConvert.Widen<F16ScaledLoader>(wp, scratch, n);
                else if (type == GgmlType.F16) HalfConvert.F16ToF32(wp, scratch, n);
                else HalfConvert.BF16ToF32(wp, scratch, n);
                if (type == GgmlType.BF16) Split<F32Loader, float>(scratch, count, columns, x, xStride, tokens, o, outStride, segments);
                else Panels<F32Loader, float>(scratch, count, columns, x, xStride, tokens, o, outStride);
            }
            else if (f16Scaled) Panels<F16ScaledLoader, ushort>(wp, count, columns, x, xStride, tokens, o, outStride);
            else if (type == GgmlType.F16) Panels<F16Loader, ushort>(wp, count, columns, x, xStride, tokens, o, outStride);
            else Split<BF16Loader, ushort>(wp, count, columns, x, xStride, tokens, o, outStride, segments);
        }
    }

    /// <summary>Lane-split panels: for each group of up to 4 tokens, the 64 segments' sums into <paramref name="segments"/>
    /// ([64][4 tokens][64 rows]), then each output's in Dot.Run's order.</summary>
    private static void Split<TLoad, TElement>(TElement* w, int panels, int columns, float* x, long xStride, int tokens,
        float* output, long outStride, float* segments)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
    {
        int steps = columns / SplitColumns;
        for (int t0 = 0; t0 < tokens; t0 += 4)
        {
            int group = Math.Min(4, tokens - t0);
            for (int c = 0; c < SplitColumns; c++)
            {
                long k = (long)c * steps;
                float* s = segments + c * SegmentStride;
                if (group == 4) ByPanels<TLoad, TElement, Four>(w + 16 * k, panels, steps, columns, x + t0 * xStride + k, xStride, s, 16 * PanelsPerCall);
                else
                    for (int t = 0; t < group; t++)
                        ByPanels<TLoad, TElement, One>(w + 16 * k, panels, steps, columns, x + (t0 + t) * xStride + k, xStride,
                            s + t * 16 * PanelsPerCall, 16 * PanelsPerCall);
            }
            for (int t = 0; t < group; t++)
                for (int p = 0; p < panels; p++)
                    Reduce(segments + t * 16 * PanelsPerCall + 16 * p, output + (t0 + t) * outStride + 16 * p);
        }
    }

    /// <summary>16 outputs from their 64 segment sums (segment c at s[c * SegmentStride]): lane l of Dot.Run's accumulator j
    /// is segment 16j + l, so (a0 + a1) + (a2 + a3) is taken per l, then Vector512.Sum's tree over l (within each 4 lanes
    /// (l0 + l1) + (l2 + l3), then the four quarters likewise), each step a vector add over the 16 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce(float* s, float* output) =>
        ((Quarter(s, 0) + Quarter(s, 1)) + (Quarter(s, 2) + Quarter(s, 3))).Store(output);

    /// <summary>Lanes 4b..4b + 3 summed as Vector512.Sum sums one 128-bit quarter: (l0 + l1) + (l2 + l3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarter(float* s, int b) =>
        (Lane(s, 4 * b) + Lane(s, 4 * b + 1)) + (Lane(s, 4 * b + 2) + Lane(s, 4 * b + 3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lane(float* s, int l) =>
        (Vector512.Load(s + l * SegmentStride) + Vector512.Load(s + (16 + l) * SegmentStride))
        + (Vector512.Load(s + (32 + l) * SegmentStride) + Vector512.Load(s + (48 + l) * SegmentStride));

    /// <summary>2^112: F16ScaledLoader's weights times this are the F16 values.</summary>
    public const float F16Scale = 5.192296858534828e33f;

    private static void Panels<TLoad, TElement>(TElement* w, int panels, int columns, float* x, long xStride, int tokens, float* output, long outStride)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
    {
        int t = 0;
        for (; t + 4 <= tokens; t += 4) ByPanels<TLoad, TElement, Four>(w, panels, columns, columns, x + t * xStride, xStride, output + t * outStride, outStride);
        for (; t < tokens; t++) ByPanels<TLoad, TElement, One>(w, panels, columns, columns, x + t * xStride, xStride, output + t * outStride, outStride);
    }

    /// <summary>k = 0..<paramref name="columns"/> - 1 of panels <paramref name="panelColumns"/> long.</summary>
    private static void ByPanels<TLoad, TElement, TTokens>(TElement* w, int panels, int columns, int panelColumns, float* x, long xStride,
        float* output, long outStride)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged where TTokens : ITileCount
    {
        long panel = 16L * panelColumns;
        switch (panels)
        {
            case 4: Kernel<TLoad, TElement, Four, TTokens>(w, panel, columns, x, xStride, output, outStride); break;
            case 3: Kernel<TLoad, TElement, Three, TTokens>(w, panel, columns, x, xStride, output, outStride); break;
            case 2: Kernel<TLoad, TElement, Two, TTokens>(w, panel, columns, x, xStride, output, outStride); break;
            default: Kernel<TLoad, TElement, One, TTokens>(w, panel, columns, x, xStride, output, outStride); break;
        }
    }

    /// <summary>TPanels x TTokens accumulators, k from 0 to columns - 1.</summary>
    [SkipLocalsInit]
    private static void Kernel<TLoad, TElement, TPanels, TTokens>(TElement* w, long panel, int columns, float* x, long xStride, float* output, long outStride)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged where TPanels : ITileCount where TTokens : ITileCount
    {
        int p = TPanels.Value, t = TTokens.Value;
        TElement* w0 = w, w1 = w + panel, w2 = w + 2 * panel, w3 = w + 3 * panel;
        float* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        for (int k = 0; k < columns; k++)
        {
            long o = 16L * k;
            if (t == 1 && (k & 1) == 0)
            {
                // one token streams the panels: every other k starts a new cache line of each (16-bit elements)
                Sse.Prefetch1((byte*)(w0 + o) + Gemm16.PrefetchDistance);
                if (p > 1) Sse.Prefetch1((byte*)(w1 + o) + Gemm16.PrefetchDistance);
                if (p > 2) Sse.Prefetch1((byte*)(w2 + o) + Gemm16.PrefetchDistance);
                if (p > 3) Sse.Prefetch1((byte*)(w3 + o) + Gemm16.PrefetchDistance);
            }
            var a0 = Vector512.Create(x0[k]);
            Vector512<float> a1 = default, a2 = default, a3 = default;
            if (t > 1) { a1 = Vector512.Create(x1[k]); a2 = Vector512.Create(x2[k]); a3 = Vector512.Create(x3[k]); }
            var v = TLoad.Load16(w0 + o);
            c00 = Vector512.FusedMultiplyAdd(v, a0, c00);
            if (t > 1) { c01 = Vector512.FusedMultiplyAdd(v, a1, c01); c02 = Vector512.FusedMultiplyAdd(v, a2, c02); c03 = Vector512.FusedMultiplyAdd(v, a3, c03); }
            if (p > 1)
            {
                v = TLoad.Load16(w1 + o);
                c10 = Vector512.FusedMultiplyAdd(v, a0, c10);
                if (t > 1) { c11 = Vector512.FusedMultiplyAdd(v, a1, c11); c12 = Vector512.FusedMultiplyAdd(v, a2, c12); c13 = Vector512.FusedMultiplyAdd(v, a3, c13); }
            }
            if (p > 2)
            {
                v = TLoad.Load16(w2 + o);
                c20 = Vector512.FusedMultiplyAdd(v, a0, c20);
                if (t > 1) { c21 = Vector512.FusedMultiplyAdd(v, a1, c21); c22 = Vector512.FusedMultiplyAdd(v, a2, c22); c23 = Vector512.FusedMultiplyAdd(v, a3, c23); }
            }
            if (p > 3)
            {
                v = TLoad.Load16(w3 + o);
                c30 = Vector512.FusedMultiplyAdd(v, a0, c30);
                if (t > 1) { c31 = Vector512.FusedMultiplyAdd(v, a1, c31); c32 = Vector512.FusedMultiplyAdd(v, a2, c32); c33 = Vector512.FusedMultiplyAdd(v, a3, c33); }
            }
        }
        Store<TTokens>(output, outStride, c00, c01, c02, c03);
        if (p > 1) Store<TTokens>(output + 16, outStride, c10, c11, c12, c13);
        if (p > 2) Store<TTokens>(output + 32, outStride, c20, c21, c22, c23);
        if (p > 3) Store<TTokens>(output + 48, outStride, c30, c31, c32, c33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TTokens>(float* output, long outStride, Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3)
        where TTokens : ITileCount
    {
        c0.Store(output);
        if (TTokens.Value == 1) return;
        c1.Store(output + outStride);
        c2.Store(output + 2 * outStride);
        c3.Store(output + 3 * outStride);
    }

    /// <summary>Whether the CPU runs this kernel (512-bit FMA).</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// A finite F16 value w as the F32 w * 2^-112, exactly, in three instructions (vcvtph2ps has no .NET 10 intrinsic, and
    /// the exact widening takes nine): sign-extend to 32 bits and shift left 13, which puts the exponent and mantissa in
    /// F32's bits 27..13 (an F16 exponent e becomes F32 exponent field e, so the value is scaled by 2^(15 - 127)) and copies
    /// of the sign in bits 31..28; keep bit 31, clear 30..28. F16 subnormals become F32 subnormals (exact without
    /// flush-to-zero, .NET's default). Against activations times 2^112 every product, and so every FMA, is the same as
    /// with the exact widening. Infinities and NaNs would come out finite: weights holding them keep <see cref="F16Loader"/>.
    /// </summary>
    internal unsafe struct F16ScaledLoader : IF32Loader<ushort>
    {
        public static float Load(ushort* p) => BitConverter.Int32BitsToSingle(((short)*p << 13) & unchecked((int)0x8FFFE000));
        public static Vector256<float> Load8(ushort* p) =>
            ((Avx2.ConvertToVector256Int32((short*)p) << 13) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();
        public static Vector512<float> Load16(ushort* p) =>
            ((Avx512F.ConvertToVector512Int32(Vector256.Load((short*)p)) << 13) & Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }
}
