using System.Globalization;
using AspireSse.Contracts;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// What a tick read from Redis, on the channel or from the history stream, must look like before
/// the relay believes any of it. Anyone who can publish on the channel can send anything: a tick
/// that fails here never moves a replica's position, nor reaches a client.
/// </summary>
/// <remarks>
/// Only the form is checked here, at no cost. Whether Redis really released a tick is the
/// subscriber's check, made only when a tick does not simply follow the last one (a gap, another
/// epoch), so that ordinary ticks cost no Redis read.
/// </remarks>
public static class TickValidation
{
    /// <summary>
    /// How far ahead of this replica's clock a tick's <see cref="Tick.PublishedAt"/> may be. Hosts
    /// kept by NTP agree to far less; the bound is generous because a tick refused for its timestamp
    /// is refused by every replica, so only a time no working clock would give is turned away.
    /// </summary>
    public static readonly TimeSpan MaxPublishedAhead = TimeSpan.FromDays(1);

    /// <summary>Null when <paramref name="tick"/> is well formed; otherwise what is wrong with it, for the log.</summary>
    /// <param name="now">This replica's clock.</param>
    public static string? Problem(Tick tick, DateTimeOffset now)
    {
        if (tick.Epoch is null || !TickId.IsValidEpoch(tick.Epoch))
        {
            return $"its epoch is not {TickId.EpochRule}";
        }

        if (tick.Sequence is < 1 or > TickId.MaxSequence)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its sequence {tick.Sequence} is not between 1 and {TickId.MaxSequence}");
        }

        if (tick.PublishedAt == default)
        {
            return "it has no publishedAt";
        }

        if (tick.PublishedAt > now + MaxPublishedAhead)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"its publishedAt {tick.PublishedAt:O} is more than {MaxPublishedAhead.TotalHours} hours ahead of this replica's clock");
        }

        return null;
    }
}
