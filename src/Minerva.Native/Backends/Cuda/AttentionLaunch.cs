// Launches of causal GQA attention over the F16 KV cache, optionally windowed, each query row at its own position of its
// own sequence: decode (flash-decoding splits + combine, few rows) and prefill (a block per row and head).
namespace Minerva.Native.Backends.Cuda;

internal static class AttentionLaunch
{
    public const int Tile = 128;        // ATTN_TILE in attention.cu
    public const int Threads = 128;     // ATTN_THREADS
    public const int MaxHeadDim = 256;  // ATTN_MAX_HEAD_DIM: a thread owns output dims tid and tid + Threads
    /// <summary>Most rows a step runs through the decode kernels (a power of two: the partial buffer grows in powers of two).</summary>
    public const int DecodeRowLimit = 8;
    /// <summary>Largest decode partial buffer (64 MiB): past it a multi-row step takes the prefill kernel.</summary>
    public const long MaxPartialFloats = 1L << 24;

    /// <summary>Splits of the decode grid: enough for the whole context, so one captured graph serves every position.</summary>
    public static int SplitCount(int contextLength) => (contextLength + Tile - 1) / Tile;

    /// <summary>Floats of the decode partial buffer [rows, heads, splits, headDim + 2].</summary>
    public static long PartialFloats(int rows, int heads, int headDim, int contextLength) =>
        (long)rows * heads * SplitCount(contextLength) * (headDim + 2);

    /// <summary>Rows the partial buffer is sized for when a step of <paramref name="rows"/> decodes: the next power of two,
    /// so that it grows (and drains the stream) at most log2(DecodeRowLimit) times.</summary>
    public static int PartialRows(int rows) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)rows);

    /// <summary>Whether a step of <paramref name="rows"/> query rows takes the decode kernels (split keys, then combine):
    /// always for one row; for up to <see cref="DecodeRowLimit"/> rows while their partials fit <see cref="MaxPartialFloats"/>.
    /// Otherwise the prefill kernel, whose blocks each walk their row's keys.</summary>
    public static bool UsesDecode(int rows, int heads, int headDim, int contextLength) =>
        rows == 1 || (rows <= DecodeRowLimit && PartialFloats(PartialRows(rows), heads, headDim, contextLength) <= MaxPartialFloats);

    public static float Scale(int headDim) => 1.0f / MathF.Sqrt(headDim);

    /// <summary>First position a query sees when positions 0..keys-1 precede it (itself included): the last
    /// <paramref name="window"/> of them, or all for window 0 (attn_first_key in attention.cu).</summary>
    public static int FirstKey(int keys, int window) => window > 0 ? Math.Max(0, keys - window) : 0;

    /// <summary>Keys [Begin, End) that decode split <paramref name="split"/> scores (empty: the block exits), and the splits
    /// [First, Last) the combine merges; the same arithmetic as attention_decode_f32 / attention_combine_f32.</summary>
    public static (int Begin, int End) DecodeSplitKeys(int split, int keys, int window) =>
        (Math.Max(split * Tile, FirstKey(keys, window)), Math.Min((split + 1) * Tile, keys));

    public static (int First, int Last) CombinedSplits(int keys, int window, int splits) =>
        (FirstKey(keys, window) / Tile, Math.Min(splits, (keys + Tile - 1) / Tile));

    // Decode: block (h, s, r) scores keys [max(s*Tile, first_r), min((s+1)*Tile, pos_r+1)) of head h of row r (a thread per
    // key), then threads own output dims; empty splits exit. Combine: block (h, r) merges row r's non-empty splits, threads over dims.
    public static (Dim3 Grid, Dim3 Block) DecodeShape(int rows, int heads, int contextLength) =>
        (new((uint)heads, (uint)SplitCount(contextLength), (uint)rows), new(Threads));

    public static (Dim3 Grid, Dim3 Block) CombineShape(int rows, int heads) => (new((uint)heads, (uint)rows), new(Threads));

    // Prefill: block (h, r) walks the key tiles first_r..pos_r of row r's sequence for head h.
    public static (Dim3 Grid, Dim3 Block) PrefillShape(int rows, int heads) => (new((uint)heads, (uint)rows), new(Threads));

    /// <summary>partial: F32 [rows, heads, SplitCount(contextLength), headDim + 2]; caches: one layer [sequences, contextLength, kvDim].</summary>
    public static void Decode(GpuContext gpu, ulong q, ulong kCache, ulong vCache, ulong partial, ulong output, ulong step,
        int rows, int heads, int kvHeads, int headDim, int kvDim, int contextLength, int window)
    {
        Validate(heads, kvHeads, headDim, window);
        var (grid, block) = DecodeShape(rows, heads, contextLength);
        gpu.Launch(Kernels.AttentionDecode, grid, block, 0,
            q, kCache, vCache, partial, step, Arg.I(heads), Arg.I(kvHeads), Arg.I(headDim), Arg.I(kvDim), Arg.I(contextLength),
            Arg.F(Scale(headDim)), Arg.I(window));
        (grid, block) = CombineShape(rows, heads);
        gpu.Launch(Kernels.AttentionCombine, grid, block, 0, partial, output, step, Arg.I(headDim), Arg.I(SplitCount(contextLength)), Arg.I(window));
    }

    public static void Prefill(GpuContext gpu, ulong q, ulong kCache, ulong vCache, ulong output, ulong step,
        int rows, int heads, int kvHeads, int headDim, int kvDim, int contextLength, int window)
    {
        Validate(heads, kvHeads, headDim, window);
        var (grid, block) = PrefillShape(rows, heads);
        gpu.Launch(Kernels.AttentionPrefill, grid, block, 0,
            q, kCache, vCache, output, step, Arg.I(heads), Arg.I(kvHeads), Arg.I(headDim), Arg.I(kvDim), Arg.I(contextLength),
            Arg.F(Scale(headDim)), Arg.I(window));
    }

    public static void Validate(int heads, int kvHeads, int headDim, int window = 0)
    {
        if (headDim <= 0 || headDim > MaxHeadDim)
            throw new NotSupportedException($"attention head dim {headDim}: the CUDA kernels support head dims 1..{MaxHeadDim}");
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) throw new ArgumentException($"{heads} heads is not a multiple of {kvHeads} KV heads");
        if (window < 0) throw new ArgumentException($"sliding window {window} must not be negative (0 = none)");
    }
}
