// Q4_K and Q6_K weights repacked into groups of 16 rows for Gemm16K (row r in int32 lane r, as Repack16), per 256-column
// super-block, from each row's unsigned quants u[0..255] in column order (Q4_K: 0..15, Q6_K: q + 32 = 0..63):
//   Q4_K [16 x f32 d][16 x f32 dmin][8 x 32 B scale pairs][4 x 32 B min pairs][32 x 64 B nibbles]      2560 B
//        scale pair j: (s_j, s_j) per row; min pair i: (m_2i, m_2i+1) per row; nibble vector (i, g): low nibbles
//        u[64i + 4g ..], high nibbles u[64i + 32 + 4g ..] (ggml's own qs bytes).
//   Q6_K [16 x f32 d][16 x 32 B scale pairs][16 x (2 x 64 B nibbles, 64 B high bits)]                     3648 B
//        scale pair j: (sc_j, sc_j) per row (signed); sub-block j's nibble vector k: low nibbles u[16j + 4k ..] & 15,
//        high nibbles u[16j + 8 + 4k ..] & 15; its high-bit vector: u >> 4 of columns 16j + 4m .. at bits 2m, 2m + 1.
//        Each sub-block's 192 bytes are adjacent, so one token reads the quants as one stream (with the nibbles and high
//        bits in separate regions, three streams: a 65,536-row matmul streamed 13 % faster on one thread and 20-25 %
//        faster on two this way).
using Minerva.Native.Quantization;
using Minerva.Native.Quantization.KQuants;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class Repack16K
{
    public const int Q4KBlockBytes = 2560, Q6KBlockBytes = 3648;

    /// <summary>Repacks group <paramref name="group"/> of 16 rows into <paramref name="destination"/>.</summary>
    public static void Group(byte* source, long rowBytes, GgmlType type, int columns, int group, byte* destination)
    {
        int nb = columns / 256, srcBlock = type == GgmlType.Q4_K ? 144 : 210;
        int blockBytes = type == GgmlType.Q4_K ? Q4KBlockBytes : Q6KBlockBytes;
        byte* u = stackalloc byte[256];
        byte* sm = stackalloc byte[16];
        for (int b = 0; b < nb; b++)
        {
            byte* dst = destination + ((long)group * nb + b) * blockBytes;
            for (int r = 0; r < Repack16.Rows; r++)
            {
                byte* block = source + ((long)group * Repack16.Rows + r) * rowBytes + (long)b * srcBlock;
                if (type == GgmlType.Q4_K) Q4K(block, r, dst, u, sm);
                else Q6K(block, r, dst, u);
            }
        }
    }

    private static void Q4K(byte* block, int r, byte* dst, byte* u, byte* sm)
    {
        ((float*)dst)[r] = QuantMath.Fp16ToFp32(*(ushort*)block);
        ((float*)dst)[16 + r] = QuantMath.Fp16ToFp32(*(ushort*)(block + 2));
        Q4_K.UnpackScalesMins(new ReadOnlySpan<byte>(block + 4, 12), new Span<byte>(sm, 16));
        for (int j = 0; j < 8; j++) { dst[128 + j * 32 + 2 * r] = sm[j]; dst[128 + j * 32 + 2 * r + 1] = sm[j]; }
        for (int i = 0; i < 4; i++) { dst[384 + i * 32 + 2 * r] = sm[8 + 2 * i]; dst[384 + i * 32 + 2 * r + 1] = sm[8 + 2 * i + 1]; }
        byte* qs = block + 16;
        for (int i = 0; i < 4; i++)
            for (int g = 0; g < 8; g++)
                *(uint*)(dst + 512 + (i * 8 + g) * 64 + r * 4) = *(uint*)(qs + 32 * i + 4 * g);
    }

    private static void Q6K(byte* block, int r, byte* dst, byte* u)
    {
        byte* ql = block, qh = block + 128;
        sbyte* sc = (sbyte*)(block + 192);
        ((float*)dst)[r] = QuantMath.Fp16ToFp32(*(ushort*)(block + 208));
        for (int j = 0; j < 16; j++) { dst[64 + j * 32 + 2 * r] = (byte)sc[j]; dst[64 + j * 32 + 2 * r + 1] = (byte)sc[j]; }
        // ggml's dequantize_row_q6_K order, without the -32
        for (int n = 0; n < 2; n++)
            for (int l = 0; l < 32; l++)
            {
                byte h = qh[32 * n + l], lo = ql[64 * n + l], hi = ql[64 * n + l + 32];
                u[128 * n + l] = (byte)((lo & 0xF) | ((h & 3) << 4));
                u[128 * n + l + 32] = (byte)((hi & 0xF) | (((h >> 2) & 3) << 4));
                u[128 * n + l + 64] = (byte)((lo >> 4) | (((h >> 4) & 3) << 4));
                u[128 * n + l + 96] = (byte)((hi >> 4) | (((h >> 6) & 3) << 4));
            }
        for (int j = 0; j < 16; j++)
        {
            int nib = 576 + j * 192, hib = nib + 128;     // sub-block j: its two nibble vectors, then its high bits
            for (int k = 0; k < 2; k++)
                for (int e = 0; e < 4; e++)
                    dst[nib + k * 64 + r * 4 + e] = (byte)((u[16 * j + 4 * k + e] & 0xF) | ((u[16 * j + 8 + 4 * k + e] & 0xF) << 4));
            for (int e = 0; e < 4; e++)
            {
                int bits = 0;
                for (int m = 0; m < 4; m++) bits |= (u[16 * j + 4 * m + e] >> 4) << (2 * m);
                dst[hib + r * 4 + e] = (byte)bits;
            }
        }
    }
}
