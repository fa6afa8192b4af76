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
/// An event encoded for the wire (<see cref="SseFrame"/>), plus what a client's writer needs to keep
/// its place (and, for a tick, to measure how long it took to reach the client). The frame is shared
/// by every client the event goes to.
/// </summary>
public readonly record struct RelayItem(
    byte[] Frame, RelayItemKind Kind, string? Epoch = null, long Sequence = 0, DateTimeOffset PublishedAt = default);
