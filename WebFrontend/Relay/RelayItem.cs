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
/// its place (and, for a tick, to measure how long it took to reach the client).
/// </summary>
/// <remarks>
/// One instance is shared by every client the event goes to, so a client's queue holds
/// references rather than copies of the event.
/// </remarks>
public sealed record RelayItem(
    byte[] Frame, RelayItemKind Kind, string? Epoch = null, long Sequence = 0, DateTimeOffset PublishedAt = default);
