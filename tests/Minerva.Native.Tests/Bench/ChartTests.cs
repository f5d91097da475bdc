// Checks the PNG writer against published constants (CRC-32 check value, the fixed IEND chunk) and by decoding its own IDAT.
using System.Buffers.Binary;
using System.IO.Compression;
using Minerva.Native.Cli.Bench.Chart;

namespace Minerva.Native.Tests.Bench;

public class ChartTests
{
    [Test]
    public void Crc32MatchesTheStandardCheckValue()
    {
        // The CRC-32/ISO-HDLC catalogue check value for "123456789".
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));
        Assert.That(Crc32.Compute([]), Is.EqualTo(0u));
        Assert.That(Crc32.Compute("The quick brown fox jumps over the lazy dog"u8), Is.EqualTo(0x414FA339u));
    }

    [Test]
    public void PngHasSignatureHeaderPixelsAndTheCanonicalIend()
    {
        const int w = 3, h = 2;
        byte[] rgb = [.. Enumerable.Range(0, w * h * 3).Select(i => (byte)(i * 13))];
        byte[] png = PngEncoder.Encode(rgb, w, h);

        Assert.That(png[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        var chunks = ReadChunks(png);
        Assert.That(chunks.Select(c => c.Type), Is.EqualTo(new[] { "IHDR", "IDAT", "IEND" }));

        var ihdr = chunks[0].Data;
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(ihdr), Is.EqualTo(w));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4)), Is.EqualTo(h));
        Assert.That(ihdr[8..], Is.EqualTo(new byte[] { 8, 2, 0, 0, 0 }));

        // Every PNG ends with the same 12 bytes: length 0, "IEND", CRC AE 42 60 82.
        Assert.That(png[^12..], Is.EqualTo(new byte[] { 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82 }));

        using var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] scanlines = raw.ToArray();
        Assert.That(scanlines, Has.Length.EqualTo(h * (1 + w * 3)));
        for (int y = 0; y < h; y++)
        {
            Assert.That(scanlines[y * (1 + w * 3)], Is.EqualTo(0), "filter type None");
            Assert.That(scanlines.AsSpan(y * (1 + w * 3) + 1, w * 3).ToArray(), Is.EqualTo(rgb.AsSpan(y * w * 3, w * 3).ToArray()));
        }
    }

    [Test]
    public void GlyphsMatchTheirShapes()
    {
        // 'I': a full-height middle column with serifs; 'L': full first column and a bottom row.
        Assert.That(Font5x7.Glyph('I').ToArray(), Is.EqualTo(new byte[] { 0x00, 0x41, 0x7F, 0x41, 0x00 }));
        var l = Font5x7.Glyph('L');
        Assert.That(l[0], Is.EqualTo(0x7F));
        for (int c = 1; c < 5; c++) Assert.That(l[c], Is.EqualTo(0x40));
        Assert.That(Font5x7.Glyph('\u00e9').ToArray(), Is.EqualTo(Font5x7.Glyph('?').ToArray()));
        Assert.That(Font5x7.MeasureWidth("ab", 2), Is.EqualTo(22));

        var canvas = new Canvas(8, 9, Rgb.White);
        canvas.DrawText(1, 1, "L", Rgb.Black);
        for (int row = 0; row < 7; row++) Assert.That(canvas[1, 1 + row], Is.EqualTo(Rgb.Black));
        for (int col = 0; col < 5; col++) Assert.That(canvas[1 + col, 7], Is.EqualTo(Rgb.Black));
        Assert.That(canvas[3, 3], Is.EqualTo(Rgb.White));
    }

    [TestCase(0.0, 1.0)]
    [TestCase(7.0, 10.0)]
    [TestCase(10.0, 10.0)]
    [TestCase(11.0, 20.0)]
    [TestCase(23.0, 25.0)]
    [TestCase(26.0, 50.0)]
    [TestCase(0.031, 0.05)]
    [TestCase(1234.0, 2000.0)]
    public void NiceCeilingIsTheNext125Step(double v, double expected) =>
        Assert.That(BarChart.NiceCeiling(v), Is.EqualTo(expected).Within(1e-9));

    [TestCase(0.25, "0.25")]
    [TestCase(12.5, "12.5")]
    [TestCase(30.0, "30")]
    [TestCase(340.4, "340")]
    [TestCase(12500.0, "12.5k")]
    [TestCase(250000.0, "250k")]
    [TestCase(2500000.0, "2.5M")]
    public void ValuesPrintShort(double v, string text) => Assert.That(BarChart.FormatValue(v), Is.EqualTo(text));

    [Test]
    public void TallestBarReachesItsNiceMaximum()
    {
        var series = new[] { new BarSeries("a", BarChart.Palette[0]), new BarSeries("b", BarChart.Palette[1]) };
        var values = new double[,] { { 50, 25 }, { double.NaN, 10 } };
        var canvas = BarChart.Render("t", series, [new BarPanel("p", "y", [["g1"], ["g2"]], values)]);
        var firstColour = Enumerable.Range(0, canvas.Height).Where(y => Enumerable.Range(0, canvas.Width).Any(x => canvas[x, y] == BarChart.Palette[0])).ToList();
        var secondColour = Enumerable.Range(0, canvas.Height).Where(y => Enumerable.Range(0, canvas.Width).Any(x => canvas[x, y] == BarChart.Palette[1])).ToList();
        // Legend swatches are 9 px high; bar "a" (50 of 50) spans the whole 240 px plot, bar "b" (25) half of it.
        Assert.That(firstColour.Count, Is.EqualTo(9 + 240));
        Assert.That(secondColour.Count, Is.EqualTo(9 + 120));
    }

    private static List<(string Type, byte[] Data)> ReadChunks(byte[] png)
    {
        var chunks = new List<(string, byte[])>();
        for (int p = 8; p < png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(p));
            string type = System.Text.Encoding.ASCII.GetString(png, p + 4, 4);
            byte[] data = png[(p + 8)..(p + 8 + len)];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(p + 8 + len));
            Assert.That(crc, Is.EqualTo(Crc32.Compute(png.AsSpan(p + 4, 4 + len))), $"{type} CRC");
            chunks.Add((type, data));
            p += 12 + len;
        }
        return chunks;
    }
}
