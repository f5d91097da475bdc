// Launches of causal GQA attention over the F16 KV cache, optionally windowed: decode (flash-decoding splits + combine) and prefill.
namespace Minerva.Native.Backends.Cuda;

internal static class AttentionLaunch
{
    public const int Tile = 128;        // ATTN_TILE in attention.cu
    public const int Threads = 128;     // ATTN_THREADS
    public const int MaxHeadDim = 256;  // ATTN_MAX_HEAD_DIM: a thread owns output dims tid and tid + Threads

    /// <summary>Splits of the decode grid: enough for the whole context, so one captured graph serves every position.</summary>
    public static int SplitCount(int contextLength) => (contextLength + Tile - 1) / Tile;

    /// <summary>Floats of the decode partial buffer [heads, splits, headDim + 2].</summary>
    public static long PartialFloats(int heads, int headDim, int contextLength) => (long)heads * SplitCount(contextLength) * (headDim + 2);

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

    // Decode: block (h, s) scores keys [max(s*Tile, first), min((s+1)*Tile, pos+1)) of head h (a thread per key), then
    // threads own output dims; empty splits exit. Combine: block h merges the non-empty splits, threads over dims.
    public static void Decode(GpuContext gpu, ulong q, ulong kCache, ulong vCache, ulong partial, ulong output, ulong step,
        int heads, int kvHeads, int headDim, int kvDim, int contextLength, int window)
    {
        Validate(heads, kvHeads, headDim, window);
        int splits = SplitCount(contextLength);
        gpu.Launch(Kernels.AttentionDecode, new((uint)heads, (uint)splits), new(Threads), 0,
            q, kCache, vCache, partial, step, Arg.I(heads), Arg.I(kvHeads), Arg.I(headDim), Arg.I(kvDim), Arg.F(Scale(headDim)), Arg.I(window));
        gpu.Launch(Kernels.AttentionCombine, new((uint)heads), new(Threads), 0, partial, output, step, Arg.I(headDim), Arg.I(splits), Arg.I(window));
    }

    // Prefill: block (h, r) walks the key tiles first_r..pos_r for query row r, head h.
    public static void Prefill(GpuContext gpu, ulong q, ulong kCache, ulong vCache, ulong output, ulong step,
        int rows, int heads, int kvHeads, int headDim, int kvDim, int window)
    {
        Validate(heads, kvHeads, headDim, window);
        gpu.Launch(Kernels.AttentionPrefill, new((uint)heads, (uint)rows), new(Threads), 0,
            q, kCache, vCache, output, step, Arg.I(heads), Arg.I(kvHeads), Arg.I(headDim), Arg.I(kvDim), Arg.F(Scale(headDim)), Arg.I(window));
    }

    public static void Validate(int heads, int kvHeads, int headDim, int window = 0)
    {
        if (headDim <= 0 || headDim > MaxHeadDim)
            throw new NotSupportedException($"attention head dim {headDim}: the CUDA kernels support head dims 1..{MaxHeadDim}");
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) throw new ArgumentException($"{heads} heads is not a multiple of {kvHeads} KV heads");
        if (window < 0) throw new ArgumentException($"sliding window {window} must not be negative (0 = none)");
    }
}
