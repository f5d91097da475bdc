// CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), table-driven as in the PNG spec, Annex D.
namespace Minerva.Native.Cli.Bench.Chart;

/// <summary>The CRC every PNG chunk ends with.</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable(); // [256]

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>Continues a running CRC (start from 0xFFFFFFFF, finish with <see cref="Finish"/>).</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(0xFFFFFFFFu, data));
}
