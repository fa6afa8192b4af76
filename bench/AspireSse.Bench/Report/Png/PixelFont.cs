namespace AspireSse.Bench.Report.Png;

/// <summary>
/// A 5×7 pixel font, drawn for these charts: capitals, digits and the punctuation the figures use.
/// Text is drawn in capitals; an unknown character shows as '?'.
/// </summary>
public static class PixelFont
{
    public const int Width = 5;
    public const int Height = 7;

    // One glyph a line: the character, then its seven rows from the top ('#' is ink).
    private const string Sheet = """
        A .###. #...# #...# ##### #...# #...# #...#
        B ####. #...# #...# ####. #...# #...# ####.
        C .###. #...# #.... #.... #.... #...# .###.
        D ####. #...# #...# #...# #...# #...# ####.
        E ##### #.... #.... ####. #.... #.... #####
        F ##### #.... #.... ####. #.... #.... #....
        G .###. #...# #.... #.### #...# #...# .####
        H #...# #...# #...# ##### #...# #...# #...#
        I .###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.
        J ..### ...#. ...#. ...#. ...#. #..#. .##..
        K #...# #..#. #.#.. ##... #.#.. #..#. #...#
        L #.... #.... #.... #.... #.... #.... #####
        M #...# ##.## #.#.# #.#.# #...# #...# #...#
        N #...# #...# ##..# #.#.# #..## #...# #...#
        O .###. #...# #...# #...# #...# #...# .###.
        P ####. #...# #...# ####. #.... #.... #....
        Q .###. #...# #...# #...# #.#.# #..#. .##.#
        R ####. #...# #...# ####. #.#.. #..#. #...#
        S .#### #.... #.... .###. ....# ....# ####.
        T ##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..
        U #...# #...# #...# #...# #...# #...# .###.
        V #...# #...# #...# #...# #...# .#.#. ..#..
        W #...# #...# #...# #.#.# #.#.# #.#.# .#.#.
        X #...# #...# .#.#. ..#.. .#.#. #...# #...#
        Y #...# #...# .#.#. ..#.. ..#.. ..#.. ..#..
        Z ##### ....# ...#. ..#.. .#... #.... #####
        0 .###. #...# #..## #.#.# ##..# #...# .###.
        1 ..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.
        2 .###. #...# ....# ...#. ..#.. .#... #####
        3 ##### ...#. ..#.. ...#. ....# #...# .###.
        4 ...#. ..##. .#.#. #..#. ##### ...#. ...#.
        5 ##### #.... ####. ....# ....# #...# .###.
        6 ..##. .#... #.... ####. #...# #...# .###.
        7 ##### ....# ...#. ..#.. .#... .#... .#...
        8 .###. #...# #...# .###. #...# #...# .###.
        9 .###. #...# #...# .#### ....# ...#. .##..
        . ..... ..... ..... ..... ..... .##.. .##..
        , ..... ..... ..... ..... .##.. ..#.. .#...
        : ..... .##.. .##.. ..... .##.. .##.. .....
        - ..... ..... ..... ##### ..... ..... .....
        / ..... ....# ...#. ..#.. .#... #.... .....
        ( ...#. ..#.. .#... .#... .#... ..#.. ...#.
        ) .#... ..#.. ...#. ...#. ...#. ..#.. .#...
        % ##... ##..# ...#. ..#.. .#... #..## ...##
        × ..... #...# .#.#. ..#.. .#.#. #...# .....
        Μ ..... #...# #...# #...# ##..# #.##. #....
        = ..... ..... ##### ..... ##### ..... .....
        + ..... ..#.. ..#.. ##### ..#.. ..#.. .....
        < ...#. ..#.. .#... #.... .#... ..#.. ...#.
        > .#... ..#.. ...#. ....# ...#. ..#.. .#...
        _ ..... ..... ..... ..... ..... ..... #####
        ' ..#.. ..#.. .#... ..... ..... ..... .....
        · ..... ..... ..... ..#.. ..... ..... .....
        ? .###. #...# ....# ...#. ..#.. ..... ..#..
        """;

    private static readonly Dictionary<char, bool[,]> Glyphs = Parse();

    /// <summary>The glyph's pixels, [row, column]; the space is blank.</summary>
    public static bool[,] Glyph(char c)
    {
        // µ upper-cases to the Greek capital mu, which the sheet draws as the micro sign.
        var key = char.ToUpperInvariant(c);
        return key == ' ' ? Blank : Glyphs.GetValueOrDefault(key) ?? Glyphs['?'];
    }

    private static readonly bool[,] Blank = new bool[Height, Width];

    private static Dictionary<char, bool[,]> Parse()
    {
        var glyphs = new Dictionary<char, bool[,]>();
        foreach (var line in Sheet.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ');
            var pixels = new bool[Height, Width];
            for (var row = 0; row < Height; row++)
            {
                for (var column = 0; column < Width; column++)
                {
                    pixels[row, column] = parts[row + 1][column] == '#';
                }
            }

            glyphs[parts[0][0]] = pixels;
        }

        return glyphs;
    }
}
