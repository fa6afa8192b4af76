using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AspireSse.Contracts;

/// <summary>
/// A tick's SSE id, <c>&lt;epoch&gt;-&lt;sequence&gt;</c> (e.g. <c>3fa81c02-42</c>): what a browser
/// sends back as <c>Last-Event-ID</c> to resume.
/// </summary>
public readonly record struct TickId(string? Epoch, long Sequence)
{
    // Far beyond any real count, and keeps every arithmetic on sequences clear of overflow.
    public const long MaxSequence = 1_000_000_000_000_000;
    private const int MaxEpochLength = 32;

    /// <summary>What <see cref="IsValidEpoch"/> accepts, in words, for an error message.</summary>
    public static readonly string EpochRule = $"1 to {MaxEpochLength} ASCII letters and digits";

    public override string ToString() =>
        Epoch is null
            ? Sequence.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{Epoch}-{Sequence}");

    /// <summary>
    /// Parses <c>epoch-sequence</c>, or a bare <c>sequence</c> (meaning: in the current epoch).
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(false)] out string? error, out TickId id)
    {
        id = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The id is empty.";
            return false;
        }

        text = text.Trim();
        var dash = text.LastIndexOf('-');
        string? epoch = null;
        var number = text;
        if (dash >= 0)
        {
            epoch = text[..dash];
            number = text[(dash + 1)..];
            if (!IsValidEpoch(epoch))
            {
                error = $"'{Truncate(text)}' is not a tick id: expected <epoch>-<sequence>, e.g. 3fa81c02-42, with a letters-and-digits epoch.";
                return false;
            }
        }

        if (number.Length is 0 or > 19 || !number.All(char.IsAsciiDigit)
            || !long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || sequence > MaxSequence)
        {
            error = $"'{Truncate(text)}' is not a tick id: the sequence must be a whole number from 0 to {MaxSequence}.";
            return false;
        }

        id = new TickId(epoch, sequence);
        error = null;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="epoch"/> can name an epoch (<see cref="EpochRule"/>): the one rule for
    /// an epoch sent by a client and for one read from Redis, so that no id written to a stream can
    /// break its framing.
    /// </summary>
    public static bool IsValidEpoch(ReadOnlySpan<char> epoch)
    {
        if (epoch.Length is 0 or > MaxEpochLength)
        {
            return false;
        }

        foreach (var c in epoch)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
