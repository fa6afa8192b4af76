namespace AspireSse.EventService.Ticking;

/// <summary>What the ticker last achieved; written by the worker, read by the readiness check.</summary>
public sealed class TickerStatus(TimeProvider time)
{
    private long _lastSequence;
    private long _lastPublishedTicks;

    public long LastSequence => Volatile.Read(ref _lastSequence);

    public DateTimeOffset? LastPublishedAt
    {
        get
        {
            var ticks = Volatile.Read(ref _lastPublishedTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void Published(long sequence)
    {
        Volatile.Write(ref _lastSequence, sequence);
        Volatile.Write(ref _lastPublishedTicks, time.GetUtcNow().UtcTicks);
    }
}
