namespace AspireSse.Bench.Report.Png;

/// <summary>An RGB image in memory, with just the drawing a bar chart needs.</summary>
public sealed class Canvas
{
    private readonly byte[] _pixels;

    public Canvas(int width, int height, Rgb background)
    {
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>One row of pixels, three bytes each (R, G, B).</summary>
    public ReadOnlySpan<byte> Row(int y) => _pixels.AsSpan(y * Width * 3, Width * 3);

    public void FillRect(int x, int y, int width, int height, Rgb color)
    {
        var left = Math.Max(0, x);
        var right = Math.Min(Width, x + width);
        var top = Math.Max(0, y);
        var bottom = Math.Min(Height, y + height);
        for (var row = top; row < bottom; row++)
        {
            for (var column = left; column < right; column++)
            {
                var i = ((row * Width) + column) * 3;
                _pixels[i] = color.R;
                _pixels[i + 1] = color.G;
                _pixels[i + 2] = color.B;
            }
        }
    }

    /// <summary>The width <see cref="Text"/> would take.</summary>
    public static int TextWidth(string text, int scale) =>
        text.Length == 0 ? 0 : (text.Length * (PixelFont.Width + 1) * scale) - scale;

    /// <summary>Draws text with its top-left corner at (x, y); each font pixel is a scale×scale square.</summary>
    public void Text(int x, int y, string text, int scale, Rgb color)
    {
        foreach (var c in text)
        {
            var glyph = PixelFont.Glyph(c);
            for (var row = 0; row < PixelFont.Height; row++)
            {
                for (var column = 0; column < PixelFont.Width; column++)
                {
                    if (glyph[row, column])
                    {
                        FillRect(x + (column * scale), y + (row * scale), scale, scale, color);
                    }
                }
            }

            x += (PixelFont.Width + 1) * scale;
        }
    }
}
