using System.Net.ServerSentEvents;

namespace AspireSse.WebFrontend.Relay;

public enum RelayItemKind
{
    Hello,
    Tick,
    Heartbeat,

    /// <summary>The numbering moved to a new epoch; <see cref="RelayItem.Sequence"/> is where it continues after.</summary>
    Reset,
    Drain,
}

/// <summary>
/// An event ready to write, plus what a client's writer needs to keep its place (and, for a tick,
/// to measure how long it took to reach the client).
/// </summary>
public readonly record struct RelayItem(
    SseItem<string> Event, RelayItemKind Kind, string? Epoch = null, long Sequence = 0, DateTimeOffset PublishedAt = default);
