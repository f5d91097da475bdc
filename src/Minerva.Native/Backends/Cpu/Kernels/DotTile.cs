// out[t, r] = dot(w[r], x[t]) for a tile of weight rows and tokens, each (r, t) bit-identical to Dot.Run at the same tier:
// the same accumulators a0..a3 (a0 also takes the single-vector tail), the same (a0 + a1) + (a2 + a3) sum and scalar remainder.
// Each accumulator is its own pass over the rows (a_k sums chunks 4q + k, in order), so a pass holds one register per (r, t)
// and widens a weight vector once for all the tile's tokens (a register-blocked micro-kernel, as BLIS's and ggml's GEMM tiles).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>A count known when the kernel is compiled: rows or tokens of a register tile.</summary>
internal interface ITileCount
{
    static abstract int Value { get; }
}

internal struct One : ITileCount { public static int Value => 1; }
internal struct Two : ITileCount { public static int Value => 2; }
internal struct Three : ITileCount { public static int Value => 3; }
internal struct Four : ITileCount { public static int Value => 4; }
internal struct Eight : ITileCount { public static int Value => 8; }

/// <summary>One vector width of <see cref="Dot.Run"/>: its lanes, weight load, FMA and final sum of the four accumulators.</summary>
internal unsafe interface IDotLanes<TVec> where TVec : unmanaged
{
    static abstract int Count { get; }
    static abstract TVec Load<TLoad, TElement>(TElement* w) where TLoad : IF32Loader<TElement> where TElement : unmanaged;
    static abstract TVec Fma(TVec w, float* x, TVec acc);
    static abstract float Sum(TVec a0, TVec a1, TVec a2, TVec a3);
}

internal unsafe struct Lanes512 : IDotLanes<Vector512<float>>
{
    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load<TLoad, TElement>(TElement* w) where TLoad : IF32Loader<TElement> where TElement : unmanaged =>
        TLoad.Load16(w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> w, float* x, Vector512<float> acc) => Vector512.FusedMultiplyAdd(w, Vector512.Load(x), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3) => Vector512.Sum((a0 + a1) + (a2 + a3));
}

internal unsafe struct Lanes256 : IDotLanes<Vector256<float>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load<TLoad, TElement>(TElement* w) where TLoad : IF32Loader<TElement> where TElement : unmanaged =>
        TLoad.Load8(w);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> w, float* x, Vector256<float> acc) => Vector256.FusedMultiplyAdd(w, Vector256.Load(x), acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3) => Vector256.Sum((a0 + a1) + (a2 + a3));
}

internal static unsafe class DotTile
{
    // Outputs whose accumulators wait on the stack between column blocks (48 KB at AVX-512), and the columns of one block:
    // a pass's quarter of a block of 8 activation rows (8 KB) stays in L1 across the group's rows.
    private const int GroupRows = 24, GroupTokens = 8, GroupSlots = GroupRows * GroupTokens, BlockColumns = 1024;

    public static void F32(float* w, long wRowElements, int rows, float* x, long xStride, int tokens, int n, float* output, long outStride) =>
        Run<F32Loader, float>(w, wRowElements, rows, x, xStride, tokens, n, output, outStride);

    public static void F16(ushort* w, long wRowElements, int rows, float* x, long xStride, int tokens, int n, float* output, long outStride) =>
        Run<F16Loader, ushort>(w, wRowElements, rows, x, xStride, tokens, n, output, outStride);

    public static void BF16(ushort* w, long wRowElements, int rows, float* x, long xStride, int tokens, int n, float* output, long outStride) =>
        Run<BF16Loader, ushort>(w, wRowElements, rows, x, xStride, tokens, n, output, outStride);

    /// <summary>Picks the vector width exactly as <see cref="Dot.Run"/> does; below one vector every dot is Dot.Run's scalar loop.</summary>
    private static void Run<TLoad, TElement>(TElement* w, long wRow, int rows, float* x, long xStride, int tokens, int n, float* output, long outStride)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
    {
        if (SimdSupport.Tier == SimdTier.Avx512 && n >= 16)
            Tiles<TLoad, TElement, Lanes512, Vector512<float>, Three, Eight>(w, wRow, rows, x, xStride, tokens, n, output, outStride);
        else if (SimdSupport.Tier >= SimdTier.Avx2 && n >= 8)
            Tiles<TLoad, TElement, Lanes256, Vector256<float>, Two, Four>(w, wRow, rows, x, xStride, tokens, n, output, outStride);
        else
            for (int r = 0; r < rows; r++)
                for (int t = 0; t < tokens; t++)
                    output[t * outStride + r] = Dot.Run<TLoad, TElement>(w + r * wRow, x + t * xStride, n);
    }

    /// <summary>Groups of up to GroupRows x GroupTokens outputs, their columns in blocks of BlockColumns and each block in
    /// Dot.Run's four passes; each pass covers the group with tiles of at most TRows x TTokens (AVX-512 has 32 registers, AVX2 16).
    /// A block's activations stay in L1 while all the group's rows stream by.</summary>
    [SkipLocalsInit]
    private static void Tiles<TLoad, TElement, TLanes, TVec, TRows, TTokens>(TElement* w, long wRow, int rows, float* x, long xStride,
        int tokens, int n, float* output, long outStride)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
        where TLanes : IDotLanes<TVec> where TVec : unmanaged where TRows : ITileCount where TTokens : ITileCount
    {
        TVec* acc = stackalloc TVec[4 * GroupSlots];               // [4 passes, GroupRows, GroupTokens]
        int lanes = TLanes.Count;
        int blocksEnd = n - n % (4 * lanes);                        // Dot.Run's four-accumulator loop stops here
        int vectorEnd = blocksEnd + (n - blocksEnd) / lanes * lanes; // and its single-vector loop (into a0) here
        for (int t0 = 0; t0 < tokens; t0 += GroupTokens)
            for (int r0 = 0; r0 < rows; r0 += GroupRows)
            {
                int groupRows = Math.Min(GroupRows, rows - r0), groupTokens = Math.Min(GroupTokens, tokens - t0);
                TElement* wg = w + r0 * wRow;
                float* xg = x + t0 * xStride;
                for (int k0 = 0; ; k0 += BlockColumns)
                {
                    bool last = k0 + BlockColumns >= blocksEnd;
                    for (int p = 0; p < 4; p++)
                    {
                        int end = last ? (p == 0 ? vectorEnd : blocksEnd) : k0 + BlockColumns;
                        RowTiles<TLoad, TElement, TLanes, TVec, TRows, TTokens>(wg, wRow, groupRows, xg, xStride, groupTokens,
                            k0 + p * lanes, blocksEnd, end, k0 == 0, acc + p * GroupSlots);
                    }
                    if (last) break;
                }
                for (int r = 0; r < groupRows; r++)
                    for (int t = 0; t < groupTokens; t++)
                    {
                        int s = r * GroupTokens + t;
                        float sum = TLanes.Sum(acc[s], acc[GroupSlots + s], acc[2 * GroupSlots + s], acc[3 * GroupSlots + s]);
                        TElement* wr = wg + r * wRow;
                        float* xt = xg + t * xStride;
                        for (int i = vectorEnd; i < n; i++) sum += TLoad.Load(wr + i) * xt[i];
                        output[(t0 + t) * outStride + r0 + r] = sum;
                    }
            }
    }

    private static void RowTiles<TLoad, TElement, TLanes, TVec, TRows, TTokens>(TElement* w, long wRow, int rows, float* x, long xStride,
        int tokens, int start, int blocksEnd, int end, bool first, TVec* acc)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
        where TLanes : IDotLanes<TVec> where TVec : unmanaged where TRows : ITileCount where TTokens : ITileCount
    {
        int r = 0;
        for (; r + TRows.Value <= rows; r += TRows.Value)
            TokenTiles<TLoad, TElement, TLanes, TVec, TRows, TTokens>(w + r * wRow, wRow, x, xStride, tokens, start, blocksEnd, end, first, acc + r * GroupTokens);
        if (TRows.Value > 2 && rows - r >= 2)
        {
            TokenTiles<TLoad, TElement, TLanes, TVec, Two, TTokens>(w + r * wRow, wRow, x, xStride, tokens, start, blocksEnd, end, first, acc + r * GroupTokens);
            r += 2;
        }
        if (TRows.Value > 1 && rows - r >= 1)
            TokenTiles<TLoad, TElement, TLanes, TVec, One, TTokens>(w + r * wRow, wRow, x, xStride, tokens, start, blocksEnd, end, first, acc + r * GroupTokens);
    }

    private static void TokenTiles<TLoad, TElement, TLanes, TVec, TRows, TTokens>(TElement* w, long wRow, float* x, long xStride,
        int tokens, int start, int blocksEnd, int end, bool first, TVec* acc)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
        where TLanes : IDotLanes<TVec> where TVec : unmanaged where TRows : ITileCount where TTokens : ITileCount
    {
        int t = 0;
        for (; t + TTokens.Value <= tokens; t += TTokens.Value)
            Pass<TLoad, TElement, TLanes, TVec, TRows, TTokens>(w, wRow, x + t * xStride, xStride, start, blocksEnd, end, first, acc + t);
        if (TTokens.Value > 4 && tokens - t >= 4)
        {
            Pass<TLoad, TElement, TLanes, TVec, TRows, Four>(w, wRow, x + t * xStride, xStride, start, blocksEnd, end, first, acc + t);
            t += 4;
        }
        if (TTokens.Value > 2 && tokens - t >= 2)
        {
            Pass<TLoad, TElement, TLanes, TVec, TRows, Two>(w, wRow, x + t * xStride, xStride, start, blocksEnd, end, first, acc + t);
            t += 2;
        }
        if (TTokens.Value > 1 && tokens - t >= 1)
            Pass<TLoad, TElement, TLanes, TVec, TRows, One>(w, wRow, x + t * xStride, xStride, start, blocksEnd, end, first, acc + t);
    }

    /// <summary>One accumulator for every (r, t) of the tile, continued from acc (or from zero when first): the chunks at
    /// start, start + 4 lanes, ... below min(end, blocksEnd), then (pass 0 only) single chunks up to end. acc: [TRows, GroupTokens].</summary>
    private static void Pass<TLoad, TElement, TLanes, TVec, TRows, TTokens>(TElement* w, long wRow, float* x, long xStride,
        int start, int blocksEnd, int end, bool first, TVec* acc)
        where TLoad : IF32Loader<TElement> where TElement : unmanaged
        where TLanes : IDotLanes<TVec> where TVec : unmanaged where TRows : ITileCount where TTokens : ITileCount
    {
        int rows = TRows.Value, tokens = TTokens.Value, block = 4 * TLanes.Count;
        TElement* w0 = w, w1 = w + wRow, w2 = w + 2 * wRow, w3 = w + 3 * wRow;
        float* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        float* x4 = x + 4 * xStride, x5 = x + 5 * xStride, x6 = x + 6 * xStride, x7 = x + 7 * xStride;
        TVec c00 = Start(acc + 0, first), c01 = Start(acc + 1, first || tokens <= 1), c02 = Start(acc + 2, first || tokens <= 2), c03 = Start(acc + 3, first || tokens <= 3);
        TVec c04 = Start(acc + 4, first || tokens <= 4), c05 = Start(acc + 5, first || tokens <= 5), c06 = Start(acc + 6, first || tokens <= 6), c07 = Start(acc + 7, first || tokens <= 7);
        TVec c10 = Start(acc + 8, first || rows <= 1), c11 = Start(acc + 9, first || rows <= 1 || tokens <= 1), c12 = Start(acc + 10, first || rows <= 1 || tokens <= 2), c13 = Start(acc + 11, first || rows <= 1 || tokens <= 3);
        TVec c14 = Start(acc + 12, first || rows <= 1 || tokens <= 4), c15 = Start(acc + 13, first || rows <= 1 || tokens <= 5), c16 = Start(acc + 14, first || rows <= 1 || tokens <= 6), c17 = Start(acc + 15, first || rows <= 1 || tokens <= 7);
        TVec c20 = Start(acc + 16, first || rows <= 2), c21 = Start(acc + 17, first || rows <= 2 || tokens <= 1), c22 = Start(acc + 18, first || rows <= 2 || tokens <= 2), c23 = Start(acc + 19, first || rows <= 2 || tokens <= 3);
        TVec c24 = Start(acc + 20, first || rows <= 2 || tokens <= 4), c25 = Start(acc + 21, first || rows <= 2 || tokens <= 5), c26 = Start(acc + 22, first || rows <= 2 || tokens <= 6), c27 = Start(acc + 23, first || rows <= 2 || tokens <= 7);
        TVec c30 = Start(acc + 24, first || rows <= 3), c31 = Start(acc + 25, first || rows <= 3 || tokens <= 1), c32 = Start(acc + 26, first || rows <= 3 || tokens <= 2), c33 = Start(acc + 27, first || rows <= 3 || tokens <= 3);
        TVec c34 = Start(acc + 28, first || rows <= 3 || tokens <= 4), c35 = Start(acc + 29, first || rows <= 3 || tokens <= 5), c36 = Start(acc + 30, first || rows <= 3 || tokens <= 6), c37 = Start(acc + 31, first || rows <= 3 || tokens <= 7);
        for (int i = start; i < end; i += i < blocksEnd ? block : TLanes.Count)
        {
            TVec v = TLanes.Load<TLoad, TElement>(w0 + i);
            c00 = TLanes.Fma(v, x0 + i, c00);
            if (tokens > 1) c01 = TLanes.Fma(v, x1 + i, c01);
            if (tokens > 2) c02 = TLanes.Fma(v, x2 + i, c02);
            if (tokens > 3) c03 = TLanes.Fma(v, x3 + i, c03);
            if (tokens > 4) c04 = TLanes.Fma(v, x4 + i, c04);
            if (tokens > 5) c05 = TLanes.Fma(v, x5 + i, c05);
            if (tokens > 6) c06 = TLanes.Fma(v, x6 + i, c06);
            if (tokens > 7) c07 = TLanes.Fma(v, x7 + i, c07);
            if (rows > 1)
            {
                v = TLanes.Load<TLoad, TElement>(w1 + i);
                c10 = TLanes.Fma(v, x0 + i, c10);
                if (tokens > 1) c11 = TLanes.Fma(v, x1 + i, c11);
                if (tokens > 2) c12 = TLanes.Fma(v, x2 + i, c12);
                if (tokens > 3) c13 = TLanes.Fma(v, x3 + i, c13);
                if (tokens > 4) c14 = TLanes.Fma(v, x4 + i, c14);
                if (tokens > 5) c15 = TLanes.Fma(v, x5 + i, c15);
                if (tokens > 6) c16 = TLanes.Fma(v, x6 + i, c16);
                if (tokens > 7) c17 = TLanes.Fma(v, x7 + i, c17);
            }
            if (rows > 2)
            {
                v = TLanes.Load<TLoad, TElement>(w2 + i);
                c20 = TLanes.Fma(v, x0 + i, c20);
                if (tokens > 1) c21 = TLanes.Fma(v, x1 + i, c21);
                if (tokens > 2) c22 = TLanes.Fma(v, x2 + i, c22);
                if (tokens > 3) c23 = TLanes.Fma(v, x3 + i, c23);
                if (tokens > 4) c24 = TLanes.Fma(v, x4 + i, c24);
                if (tokens > 5) c25 = TLanes.Fma(v, x5 + i, c25);
                if (tokens > 6) c26 = TLanes.Fma(v, x6 + i, c26);
                if (tokens > 7) c27 = TLanes.Fma(v, x7 + i, c27);
            }
            if (rows > 3)
            {
                v = TLanes.Load<TLoad, TElement>(w3 + i);
                c30 = TLanes.Fma(v, x0 + i, c30);
                if (tokens > 1) c31 = TLanes.Fma(v, x1 + i, c31);
                if (tokens > 2) c32 = TLanes.Fma(v, x2 + i, c32);
                if (tokens > 3) c33 = TLanes.Fma(v, x3 + i, c33);
                if (tokens > 4) c34 = TLanes.Fma(v, x4 + i, c34);
                if (tokens > 5) c35 = TLanes.Fma(v, x5 + i, c35);
                if (tokens > 6) c36 = TLanes.Fma(v, x6 + i, c36);
                if (tokens > 7) c37 = TLanes.Fma(v, x7 + i, c37);
            }
        }
        Store(acc, tokens, c00, c01, c02, c03, c04, c05, c06, c07);
        if (rows > 1) Store(acc + 8, tokens, c10, c11, c12, c13, c14, c15, c16, c17);
        if (rows > 2) Store(acc + 16, tokens, c20, c21, c22, c23, c24, c25, c26, c27);
        if (rows > 3) Store(acc + 24, tokens, c30, c31, c32, c33, c34, c35, c36, c37);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Start<TVec>(TVec* acc, bool zero) where TVec : unmanaged => zero ? default : *acc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TVec>(TVec* acc, int tokens, TVec c0, TVec c1, TVec c2, TVec c3, TVec c4, TVec c5, TVec c6, TVec c7)
        where TVec : unmanaged
    {
        acc[0] = c0;
        if (tokens > 1) acc[1] = c1;
        if (tokens > 2) acc[2] = c2;
        if (tokens > 3) acc[3] = c3;
        if (tokens > 4) acc[4] = c4;
        if (tokens > 5) acc[5] = c5;
        if (tokens > 6) acc[6] = c6;
        if (tokens > 7) acc[7] = c7;
    }
}
