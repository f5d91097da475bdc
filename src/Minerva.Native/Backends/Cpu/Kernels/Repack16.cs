// Weights repacked into groups of 16 rows (Q4_K/Q6_K: Repack16K; F16/BF16: [k][16 rows] panels for Gemm16F, BF16's columns
// lane-split as Gemm16F says). Q4_0 and
// Q8_0 for Gemm16: per group and 32-column block, the 16 rows' scales
// as F32 (exact widening of the F16 d) and then their quants with row r in int32 lane r of each 64-byte vector, the way
// ggml's runtime repack (ggml-cpu/repack.cpp, block_q4_0x8) interleaves rows so one multiply-add serves many rows.
//   Q4_0 block [16 x f32 d][4 x 64 B]: vector g holds qs[4g..4g+3] of every row (low nibbles: columns 4g..4g+3,
//        high nibbles: 16+4g..16+4g+3), nibble values 0..15 (the -8 is in the activation's bias).
//   Q8_0 block [16 x f32 d][8 x 64 B]: vector g holds q[4g..4g+3] + 128 of every row as bytes 1..255 (the -128 likewise).
using System.Runtime.InteropServices;
using Minerva.Native.Quantization;
using Minerva.Native.Simd;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Repack16
{
    public const int Rows = 16;
    private const int ScaleBytes = Rows * sizeof(float);

    /// <summary>Whether Gemm16 (Q4_0, Q8_0) or Gemm16K (Q4_K, Q6_K) takes a weight of this type and shape on this CPU.</summary>
    public static bool Supports(GgmlType type, long rows, long columns) =>
        SimdSupport.Tier == SimdTier.Avx512 && Gemm16.IsSupported && rows > 0 && rows % Rows == 0 && type switch
        {
            GgmlType.Q4_0 or GgmlType.Q8_0 => columns % 32 == 0,
            GgmlType.Q4_K or GgmlType.Q6_K => columns % 256 == 0,
            GgmlType.F16 => columns > 0,
            GgmlType.BF16 => Gemm16F.SplitsBF16(columns),
            _ => false,
        };

    /// <summary>Whether the type goes to Gemm16F (F32 activations) rather than an integer kernel.</summary>
    public static bool IsFloat(GgmlType type) => type is GgmlType.F16 or GgmlType.BF16;

    /// <summary>Whether the type goes to Gemm16K (256-column super-blocks, Q8_K activations) rather than Gemm16.</summary>
    public static bool IsKQuant(GgmlType type) => type is GgmlType.Q4_K or GgmlType.Q6_K;

    /// <summary>Bytes of one repacked 16-row x 32-column block (Q4_0, Q8_0).</summary>
    public static int BlockBytes(GgmlType type) => type == GgmlType.Q4_0 ? ScaleBytes + 4 * 64 : ScaleBytes + 8 * 64;

    /// <summary>Bytes of one repacked group of 16 rows.</summary>
    public static long GroupBytes(GgmlType type, int columns) => type switch
    {
        GgmlType.Q4_K => (long)Repack16K.Q4KBlockBytes * (columns / 256),
        GgmlType.Q6_K => (long)Repack16K.Q6KBlockBytes * (columns / 256),
        GgmlType.F16 or GgmlType.BF16 => 2L * Rows * columns,
        _ => (long)BlockBytes(type) * (columns / 32),
    };

    /// <summary>Bytes of one activation row prepared for the weight's kernel.</summary>
    public static long ActivationRowBytes(GgmlType type, int columns) =>
        IsKQuant(type) ? Gemm16K.ActivationRowBytes(columns) : Gemm16.ActivationRowBytes(columns);

    /// <summary>Prepares one activation row for the weight's kernel.</summary>
    public static void PrepareRow(GgmlType type, float* x, int columns, byte* destination)
    {
        if (IsKQuant(type)) Gemm16K.PrepareRow(x, columns, type, destination);
        else Gemm16.PrepareRow(x, columns, type, destination);
    }

    /// <summary>Every token of <paramref name="activations"/> ([tokens, ActivationRowBytes]) against one 16-row group,
    /// into output[t * outStride + 0..15]: tiles of <see cref="Gemm16.MaxTokens"/> tokens, then one at a time.</summary>
    public static void Multiply(GgmlType type, byte* group, int columns, byte* activations, int tokens, float* output, long outStride)
    {
        long aRow = ActivationRowBytes(type, columns);
        int t = 0;
        for (; t + Gemm16.MaxTokens <= tokens; t += Gemm16.MaxTokens)
            Tile<Four>(type, group, columns, activations + t * aRow, aRow, output + t * outStride, outStride);
        for (; t < tokens; t++)
            Tile<One>(type, group, columns, activations + t * aRow, aRow, output + t * outStride, outStride);
    }

    private static void Tile<T>(GgmlType type, byte* group, int columns, byte* a, long aRow, float* output, long outStride)
        where T : struct, ITileCount
    {
        switch (type)
        {
            case GgmlType.Q4_0: Gemm16.Q4_0<T>(group, columns / 32, a, aRow, output, outStride); break;
            case GgmlType.Q8_0: Gemm16.Q8_0<T>(group, columns / 32, a, aRow, output, outStride); break;
            case GgmlType.Q4_K: Gemm16K.Q4K<T>(group, columns / 256, a, aRow, output, outStride); break;
            default: Gemm16K.Q6K<T>(group, columns / 256, a, aRow, output, outStride); break;
        }
    }

    /// <summary>The value Gemm16 adds per block to undo the unsigned weights: -offset * sum of the activation's quants.</summary>
    public static int WeightOffset(GgmlType type) => type == GgmlType.Q4_0 ? 8 : 128;

    /// <summary>Repacks group <paramref name="group"/> of <paramref name="source"/> ([rows, rowBytes] in the file's type)
    /// into <paramref name="destination"/> ([rows / 16, GroupBytes]); true when an F16 group holds an infinity or NaN.</summary>
    public static bool Group(byte* source, long rowBytes, GgmlType type, int columns, int group, byte* destination)
    {
        if (IsKQuant(type))
        {
            Repack16K.Group(source, rowBytes, type, columns, group, destination);
            return false;
        }
        if (IsFloat(type))
        {
            // [k][16 rows]: the panel's transpose (BF16: [k'][16 rows], its columns lane-split, k' = c * S + s)
            ushort* panel = (ushort*)(destination + group * GroupBytes(type, columns));
            if (type == GgmlType.BF16)
            {
                int steps = columns / Gemm16F.SplitColumns;
                for (int r = 0; r < Rows; r++)
                {
                    ushort* row = (ushort*)(source + ((long)group * Rows + r) * rowBytes);
                    for (int c = 0; c < Gemm16F.SplitColumns; c++)
                        for (int s = 0; s < steps; s++)
                            panel[16L * (c * steps + s) + r] = row[s * Gemm16F.SplitColumns + c];
                }
                return false;
            }
            int exponents = 0;
            for (int r = 0; r < Rows; r++)
            {
                ushort* row = (ushort*)(source + ((long)group * Rows + r) * rowBytes);
                for (int k = 0; k < columns; k++)
                {
                    ushort h = row[k];
                    panel[16L * k + r] = h;
                    exponents |= (h & 0x7c00) == 0x7c00 ? 1 : 0;
                }
            }
            return exponents != 0;
        }
        int nb = columns / 32, blockBytes = BlockBytes(type), stride = type == GgmlType.Q4_0 ? 18 : 34;
        byte* dstGroup = destination + group * GroupBytes(type, columns);
        byte* srcGroup = source + (long)group * Rows * rowBytes;
        for (int b = 0; b < nb; b++)
        {
            byte* dst = dstGroup + (long)b * blockBytes;
            for (int r = 0; r < Rows; r++)
            {
                byte* block = srcGroup + r * rowBytes + (long)b * stride;
                ((float*)dst)[r] = QuantMath.Fp16ToFp32(*(ushort*)block);
                byte* qs = block + 2;
                if (type == GgmlType.Q4_0)
                    for (int g = 0; g < 4; g++) *(uint*)(dst + ScaleBytes + g * 64 + r * 4) = *(uint*)(qs + 4 * g);
                else
                    for (int g = 0; g < 8; g++) *(uint*)(dst + ScaleBytes + g * 64 + r * 4) = *(uint*)(qs + 4 * g) ^ 0x80808080u;
            }
        }
        return false;
    }

    /// <summary>A 64-byte aligned buffer for every group of a weight.</summary>
    public static byte* Allocate(GgmlType type, int rows, int columns) =>
        (byte*)NativeMemory.AlignedAlloc((nuint)(GroupBytes(type, columns) * (rows / Rows)), 64);
}

/// <summary>Repacks a weight's row groups in parallel. Chunk = one group of 16 rows.</summary>
internal sealed unsafe class RepackJob : IParallelJob
{
    public byte* Source, Destination;
    public long RowBytes;
    public GgmlType Type;
    public int Columns;
    public int NonFinite;            // set to 1 when an F16 group holds an infinity or NaN

    public void Execute(int chunk, int worker)
    {
        if (Repack16.Group(Source, RowBytes, Type, Columns, chunk, Destination)) Volatile.Write(ref NonFinite, 1);
    }
}
