// An RGB raster (row-major, 3 bytes a pixel, origin top-left) with the few primitives a bar chart needs.
namespace Minerva.Native.Cli.Bench.Chart;

/// <summary>24-bit colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255), Black = new(0, 0, 0), Grey = new(200, 200, 200), DarkGrey = new(90, 90, 90);
}

/// <summary>A drawing surface; everything clips to the bounds.</summary>
public sealed class Canvas
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>[Height, Width, 3].</summary>
    public byte[] Pixels { get; }

    public Canvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public Rgb this[int x, int y]
    {
        get { int i = (y * Width + x) * 3; return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]); }
    }

    public void SetPixel(int x, int y, Rgb c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        Pixels[i] = c.R;
        Pixels[i + 1] = c.G;
        Pixels[i + 2] = c.B;
    }

    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(Width, x + w), y1 = Math.Min(Height, y + h);
        for (int yy = y0; yy < y1; yy++)
            for (int xx = x0; xx < x1; xx++)
                SetPixel(xx, yy, c);
    }

    public void HLine(int x0, int x1, int y, Rgb c) => FillRect(Math.Min(x0, x1), y, Math.Abs(x1 - x0) + 1, 1, c);
    public void VLine(int x, int y0, int y1, Rgb c) => FillRect(x, Math.Min(y0, y1), 1, Math.Abs(y1 - y0) + 1, c);

    public void StrokeRect(int x, int y, int w, int h, Rgb c)
    {
        HLine(x, x + w - 1, y, c);
        HLine(x, x + w - 1, y + h - 1, c);
        VLine(x, y, y + h - 1, c);
        VLine(x + w - 1, y, y + h - 1, c);
    }

    /// <summary>Draws <paramref name="text"/> left to right with its top-left corner at (x, y).</summary>
    public void DrawText(int x, int y, string text, Rgb c, int scale = 1)
    {
        foreach (char ch in text)
        {
            var glyph = Font5x7.Glyph(ch);
            for (int col = 0; col < Font5x7.GlyphWidth; col++)
                for (int row = 0; row < Font5x7.GlyphHeight; row++)
                    if ((glyph[col] >> row & 1) != 0) FillRect(x + col * scale, y + row * scale, scale, scale, c);
            x += Font5x7.Advance * scale;
        }
    }

    /// <summary>Draws <paramref name="text"/> rotated 90° counter-clockwise (reading bottom to top), its bottom-left corner at (x, y).</summary>
    public void DrawTextUp(int x, int y, string text, Rgb c, int scale = 1)
    {
        foreach (char ch in text)
        {
            var glyph = Font5x7.Glyph(ch);
            for (int col = 0; col < Font5x7.GlyphWidth; col++)
                for (int row = 0; row < Font5x7.GlyphHeight; row++)
                    if ((glyph[col] >> row & 1) != 0) FillRect(x + row * scale, y - (col + 1) * scale, scale, scale, c);
            y -= Font5x7.Advance * scale;
        }
    }

    public byte[] ToPng() => PngEncoder.Encode(Pixels, Width, Height);
}
