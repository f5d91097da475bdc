// y[r, j] = sum_k x[r, k] * W[j, k]: activations prepared once per call as ggml does (F16/BF16 rounding, or
// quantization to the weight type's vec_dot_type); weight rows are split into chunks across threads and each weight
// block is unpacked once per tile of tokens (QuantTileK / QuantTile8 for the integer types, DotTile's register tiles for
// F32/F16/BF16); one token is the same kernels' one-token case, so a batch and token-by-token decoding agree bit for bit.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using Minerva.Native.Backends.Cpu;

namespace Minerva.Native.Backends.Cpu.Kernels;

/// <summary>Turns activation rows into what the weight type's dot takes. Chunk = one token row.</summary>
internal sealed unsafe class PrepareActivationsJob : IParallelJob
{
    public float* X;                 // [tokens, XStride]
    public int XStride;
    public int Columns;
    public GgmlType WeightType;
    public QuantTraits? ActivationTraits;
    public byte* Prepared;           // [tokens, PreparedRowBytes]
    public long PreparedRowBytes;
    public bool ForGemm16;           // the activation blocks of Repack16's kernels (Repack16 weights)
    public bool F16Scaled;           // F16 rows times 2^112 for Gemm16F's F16ScaledLoader (CpuWeight.F16Scaled)
    public bool SplitBF16;           // BF16 rows permuted as Gemm16F's lane-split panels (column 64s + c at c * S + s)

    public void Execute(int chunk, int worker)
    {
        float* x = X + (long)chunk * XStride;
        byte* dst = Prepared + chunk * PreparedRowBytes;
        if (ForGemm16)
        {
            Repack16.PrepareRow(WeightType, x, Columns, dst);
            return;
        }
        switch (WeightType)
        {
            case GgmlType.F16:
                new ReadOnlySpan<float>(x, Columns).CopyTo(new Span<float>(dst, Columns));
                HalfConvert.RoundToF16((float*)dst, Columns);
                if (F16Scaled) TensorPrimitives.Multiply(new ReadOnlySpan<float>(dst, Columns), Gemm16F.F16Scale, new Span<float>(dst, Columns));
                break;
            case GgmlType.BF16:
                if (SplitBF16)
                {
                    // Gemm16F's lane-split panels: column 64s + c at c * S + s
                    int steps = Columns / Gemm16F.SplitColumns;
                    for (int s = 0; s < steps; s++)
                        for (int c = 0; c < Gemm16F.SplitColumns; c++)
                            ((float*)dst)[c * steps + s] = x[s * Gemm16F.SplitColumns + c];
                }
                else new ReadOnlySpan<float>(x, Columns).CopyTo(new Span<float>(dst, Columns));
                HalfConvert.RoundToBF16((float*)dst, Columns);
                break;
            default:
                ActivationTraits!.Quantize(new ReadOnlySpan<float>(x, Columns), new Span<byte>(dst, checked((int)PreparedRowBytes)));
                break;
        }
    }
}

/// <summary>The matmul proper. Chunk = <see cref="RowsPerChunk"/> weight rows, for every token.</summary>
internal sealed unsafe class MatMulJob : IParallelJob
{
    // Tokens computed per pass over a chunk of weight rows: the chunk stays in cache while the tile's activations stream.
    public const int TokenTile = QuantTileK.MaxTokens;

    public int Tokens;
    public int Columns;
    public byte* Activations;        // [Tokens, ActivationRowBytes]: F32 rows (F32/F16/BF16 weights) or quantized rows
    public long ActivationRowBytes;
    public byte* Weight;             // [WeightRows, WeightRowBytes]
    public long WeightRowBytes;
    public int WeightRows;
    public GgmlType WeightType;
    public VecDot? VecDot;          // the fastest vec-dot of a quantized type (CpuWeight.VecDot)
    public QuantTile? Tile;          // unpacks each weight block once for the whole token tile (every quantized type but Q8_1)
    public float* Output;            // [Tokens, OutputStride]
    public int OutputStride;
    public int RowsPerChunk;         // a multiple of Repack16.Rows when Repacked is set
    public byte* Repacked;           // [WeightRows / 16, Repack16.GroupBytes] or null
    public float* WideScratch;       // per thread: F16/BF16 rows widened once for a batch of tokens (Gemm16F: also BF16's segment sums)
    public bool F16Scaled;           // Gemm16F reads the panels as w * 2^-112 (CpuWeight.F16Scaled)

    /// <summary>F16/BF16 rows are widened once per call above this many tokens (DotTile's own token group).</summary>
    public const int WidenAboveTokens = 8;
    /// <summary>Rows widened at a time: a multiple of DotTile's row group, 24 rows of 5,632 F32 columns fit a 1 MB L2.</summary>
    public const int WideRows = 24;

    public int Chunks => (WeightRows + RowsPerChunk - 1) / RowsPerChunk;

    public void Execute(int chunk, int worker)
    {
        int j0 = chunk * RowsPerChunk, j1 = Math.Min(j0 + RowsPerChunk, WeightRows);
        if (Repacked != null && Repack16.IsFloat(WeightType))
        {
            Gemm16F.Multiply(WeightType, F16Scaled, (ushort*)(Repacked + j0 / Repack16.Rows * Repack16.GroupBytes(WeightType, Columns)), (j1 - j0) / Repack16.Rows,
                Columns, (float*)Activations, ActivationRowBytes / sizeof(float), Tokens, Output + j0, OutputStride,
                WideScratch == null ? null : WideScratch + worker * Gemm16F.ScratchBytes(WeightType, Columns) / sizeof(float));
            return;
        }
        if (Repacked != null)
        {
            long groupBytes = Repack16.GroupBytes(WeightType, Columns);
            for (int j = j0; j < j1; j += Repack16.Rows)
                Repack16.Multiply(WeightType, Repacked + j / Repack16.Rows * groupBytes, Columns, Activations, Tokens, Output + j, OutputStride);
            return;
        }
        if (Tokens > 1 && WeightType is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16)
        {
            // register-blocked tiles of rows x tokens, each (row, token) bit-identical to the one-token Dot below
            float* x = (float*)Activations;
            long xStride = ActivationRowBytes / sizeof(float);
            if (Tokens > WidenAboveTokens && WeightType != GgmlType.F32)
            {
                // widen each run of rows once for every token (DotTile would widen it once per 8 tokens): the products and
                // their order are unchanged, the F16 -> F32 conversion is exact
                float* wide = WideScratch + (long)worker * WideRows * Columns;
                for (int r0 = j0; r0 < j1; r0 += WideRows)
                {
                    int rows = Math.Min(WideRows, j1 - r0);
                    ushort* src = (ushort*)Weight + r0 * (long)Columns;
                    if (WeightType == GgmlType.F16) HalfConvert.F16ToF32(src, wide, rows * Columns);
                    else HalfConvert.BF16ToF32(src, wide, rows * Columns);
                    DotTile.F32(wide, Columns, rows, x, xStride, Tokens, Columns, Output + r0, OutputStride);
                }
                return;
            }
            switch (WeightType)
            {
                case GgmlType.F32: DotTile.F32((float*)Weight + j0 * (long)Columns, Columns, j1 - j0, x, xStride, Tokens, Columns, Output + j0, OutputStride); break;
                case GgmlType.F16: DotTile.F16((ushort*)Weight + j0 * (long)Columns, Columns, j1 - j0, x, xStride, Tokens, Columns, Output + j0, OutputStride); break;
                default: DotTile.BF16((ushort*)Weight + j0 * (long)Columns, Columns, j1 - j0, x, xStride, Tokens, Columns, Output + j0, OutputStride); break;
            }
            return;
        }
        for (int r0 = 0; r0 < Tokens; r0 += TokenTile)
        {
            int r1 = Math.Min(r0 + TokenTile, Tokens);
            if (Tile is { } tile)
            {
                for (int j = j0; j < j1; j++)
                    tile(Weight + j * WeightRowBytes, Activations + r0 * ActivationRowBytes, ActivationRowBytes, r1 - r0, Columns,
                        Output + (long)r0 * OutputStride + j, OutputStride);
                continue;
            }
            for (int j = j0; j < j1; j++)
            {
                byte* w = Weight + j * WeightRowBytes;
                // one token streams the weights from DRAM: ask (into L2) for the next row while this one is summed (BF16
                // TinyLlama tg64 on the 2-core Zen 4, per-step A/B in one process: one row ahead 13.4-13.7 t/s, two rows
                // 12.9-13.2, 6 or 12 KiB 13.0-13.2; QuantTileK.PrefetchBytes for the tiled types)
                if (Tokens == 1 && Sse.IsSupported)
                    for (long o = 0; o < WeightRowBytes; o += 64) Sse.Prefetch1(w + WeightRowBytes + o);
                for (int r = r0; r < r1; r++)
                    Output[(long)r * OutputStride + j] = DotOne(w, Activations + r * ActivationRowBytes);
            }
        }
    }

    private float DotOne(byte* w, byte* a) => WeightType switch
    {
        GgmlType.F32 => Dot.F32((float*)w, (float*)a, Columns),
        GgmlType.F16 => Dot.F16((ushort*)w, (float*)a, Columns),
        GgmlType.BF16 => Dot.BF16((ushort*)w, (float*)a, Columns),
        _ => VecDot!(new ReadOnlySpan<byte>(w, checked((int)WeightRowBytes)),
            new ReadOnlySpan<byte>(a, checked((int)ActivationRowBytes)), Columns),
    };
}

/// <summary>Scalar reference of the matmul: the same activation preparation, then the reference dots. Never optimise.</summary>
internal static unsafe class MatMulReference
{
    // x: [tokens, columns]; weight: [rows, row bytes of type]; output: [tokens, rows]
    public static void Run(float* x, int tokens, int columns, byte* weight, GgmlType type, int rows, float* output)
    {
        long rowBytes = GgmlTypes.RowBytes(type, columns);
        var a = new float[columns];
        fixed (float* ap = a)
            for (int r = 0; r < tokens; r++)
            {
                for (int k = 0; k < columns; k++)
                {
                    float v = x[(long)r * columns + k];
                    a[k] = type switch
                    {
                        GgmlType.F16 => (float)(Half)v,
                        GgmlType.BF16 => HalfConvert.BF16ToF32(HalfConvert.F32ToBF16(v)),
                        _ => v,
                    };
                }
                byte[]? q = null;
                QuantTraits? traits = null;
                if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
                {
                    traits = QuantRegistry.Get(type);
                    if (traits.ActivationType != GgmlType.F32)
                    {
                        q = new byte[GgmlTypes.RowBytes(traits.ActivationType, columns)];
                        QuantRegistry.Get(traits.ActivationType).Quantize(a, q);
                    }
                }
                for (int j = 0; j < rows; j++)
                {
                    byte* w = weight + j * rowBytes;
                    output[(long)r * rows + j] = type switch
                    {
                        GgmlType.F32 => DotReference.F32((float*)w, ap, columns),
                        GgmlType.F16 => DotReference.F16((ushort*)w, ap, columns),
                        GgmlType.BF16 => DotReference.BF16((ushort*)w, ap, columns),
                        _ => traits!.VecDotReference(new ReadOnlySpan<byte>(w, checked((int)rowBytes)),
                            q is null ? new ReadOnlySpan<byte>(ap, columns * sizeof(float)) : q, columns),
                    };
                }
            }
    }
}
