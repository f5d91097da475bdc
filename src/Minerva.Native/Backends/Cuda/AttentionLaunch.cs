// Launches of causal GQA attention over the F16 KV cache: decode (flash-decoding splits + combine) and prefill.
namespace Minerva.Native.Backends.Cuda;

internal static class AttentionLaunch
{
    public const int Tile = 128;        // ATTN_TILE in attention.cu
    public const int Threads = 128;     // ATTN_THREADS
    public const int MaxHeadDim = 256;  // ATTN_MAX_HEAD_DIM

    /// <summary>Splits of the decode grid: enough for the whole context, so one captured graph serves every position.</summary>
    public static int SplitCount(int contextLength) => (contextLength + Tile - 1) / Tile;

    /// <summary>Floats of the decode partial buffer [heads, splits, headDim + 2].</summary>
    public static long PartialFloats(int heads, int headDim, int contextLength) => (long)heads * SplitCount(contextLength) * (headDim + 2);

    public static float Scale(int headDim) => 1.0f / MathF.Sqrt(headDim);

    // Decode: block (h, s) scores keys [s*Tile, (s+1)*Tile) of head h (a thread per key), then threads own
    // output dims; splits past the position exit. Combine: block h merges the splits, threads over dims.
    public static void Decode(GpuContext gpu, ulong q, ulong kCache, ulong vCache, ulong partial, ulong output, ulong step,
        int heads, int kvHeads, int headDim, int kvDim, int contextLength)
    {
        Validate(heads, kvHeads, headDim);
        int splits = SplitCount(contextLength);
        gpu.Launch(Kernels.AttentionDecode, new((uint)heads, (uint)splits), new(Threads), 0,
            q, kCache, vCache, partial, step, Arg.I(heads), Arg.I(kvHeads), Arg.I(headDim), Arg.I(kvDim), Arg.F(Scale(headDim)));
        gpu.Launch(Kernels.AttentionCombine, new((uint)heads), new(Threads), 0, partial, output, step, Arg.I(headDim), Arg.I(splits));
    }

    // Prefill: block (h, r) walks all key tiles 0..pos_r for query row r, head h.
    public static void Prefill(GpuContext gpu, ulong q, ulong kCache, ulong vCache, ulong output, ulong step,
        int rows, int heads, int kvHeads, int headDim, int kvDim)
    {
        Validate(heads, kvHeads, headDim);
        gpu.Launch(Kernels.AttentionPrefill, new((uint)heads, (uint)rows), new(Threads), 0,
            q, kCache, vCache, output, step, Arg.I(heads), Arg.I(kvHeads), Arg.I(headDim), Arg.I(kvDim), Arg.F(Scale(headDim)));
    }

    public static void Validate(int heads, int kvHeads, int headDim)
    {
        if (headDim <= 0 || headDim > MaxHeadDim) throw new NotSupportedException($"attention head dim {headDim} (CUDA kernels support 1..{MaxHeadDim})");
        if (kvHeads <= 0 || heads % kvHeads != 0) throw new ArgumentException($"{heads} heads is not a multiple of {kvHeads} KV heads");
    }
}
