using AspireSse.Contracts;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// One tick of <see cref="RecentTicks"/>. Its replay frame is encoded by the first resuming client
/// that needs it and shared by the rest: in a reconnect storm hundreds replay the same few ticks,
/// while most ticks are never replayed at all and so cost no frame.
/// </summary>
public sealed class RecentTick(Tick tick)
{
    private RelayItem? _replayed;

    public Tick Tick { get; } = tick;

    /// <summary>The tick as a replay writes it (<c>replayed: true</c>).</summary>
    public RelayItem Replayed(TickEvents events)
    {
        if (Volatile.Read(ref _replayed) is { } frame)
        {
            return frame;
        }

        // Two clients may encode it at once; both frames are the same bytes, and one is kept.
        var encoded = events.Tick(Tick, replayed: true);
        return Interlocked.CompareExchange(ref _replayed, encoded, null) ?? encoded;
    }
}
