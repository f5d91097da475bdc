// PNG (ISO/IEC 15948): signature, IHDR (8-bit truecolour RGB, no interlace), one zlib IDAT of filter-0 scanlines, IEND.
using System.Buffers.Binary;
using System.IO.Compression;

namespace Minerva.Native.Cli.Bench.Chart;

/// <summary>Encodes an RGB raster as a PNG file.</summary>
public static class PngEncoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <param name="rgb">[height, width, 3] bytes, row-major.</param>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb.Length != width * height * 3) throw new ArgumentException($"expected {width * height * 3} RGB bytes, got {rgb.Length}", nameof(rgb));

        using var file = new MemoryStream();
        file.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method 0
        ihdr[12] = 0; // no interlace
        WriteChunk(file, "IHDR", ihdr);

        using (var idat = new MemoryStream())
        {
            using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
            {
                int stride = width * 3;
                for (int y = 0; y < height; y++)
                {
                    z.WriteByte(0); // filter type None
                    z.Write(rgb.Slice(y * stride, stride));
                }
            }
            WriteChunk(file, "IDAT", idat.GetBuffer().AsSpan(0, (int)idat.Length));
        }
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>length (big-endian) | type | data | CRC-32 over type and data.</summary>
    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        for (int i = 0; i < 4; i++) typeBytes[i] = (byte)type[i];
        s.Write(typeBytes);
        s.Write(data);
        uint crc = Crc32.Finish(Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        s.Write(word);
    }
}
