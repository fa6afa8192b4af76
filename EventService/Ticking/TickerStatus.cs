namespace AspireSse.EventService.Ticking;

/// <summary>
/// Whether this instance leads and what it last achieved: the worker's one record of it, which the
/// readiness check reads too.
/// </summary>
public sealed class TickerStatus(TimeProvider time)
{
    private long _lastSequence;
    private long _lastPublishedTicks;
    private long _lastLeaseCheckTicks;
    private long _awaitingSinceTicks;
    private volatile bool _isLeader;

    public long LastSequence => Volatile.Read(ref _lastSequence);

    public bool IsLeader => _isLeader;

    public DateTimeOffset? LastPublishedAt => FromTicks(Volatile.Read(ref _lastPublishedTicks));

    /// <summary>When this instance last learned from Redis whether it holds the lease.</summary>
    public DateTimeOffset? LastLeaseCheckAt => FromTicks(Volatile.Read(ref _lastLeaseCheckTicks));

    /// <summary>Since when the leader holds back a written tick that no replica has acknowledged yet.</summary>
    public DateTimeOffset? AwaitingAcknowledgementSince => FromTicks(Volatile.Read(ref _awaitingSinceTicks));

    /// <summary>The tick the leader holds back while it waits; meaningful while <see cref="AwaitingAcknowledgementSince"/> is set.</summary>
    public long AwaitingSequence { get; private set; }

    /// <summary>Records that a tick waits for a replica; true when it did not wait already (the first attempt).</summary>
    public bool AwaitingAcknowledgement(long sequence)
    {
        AwaitingSequence = sequence;
        return Interlocked.CompareExchange(ref _awaitingSinceTicks, time.GetUtcNow().UtcTicks, 0) == 0;
    }

    public void Published(long sequence)
    {
        Volatile.Write(ref _awaitingSinceTicks, 0);
        Volatile.Write(ref _lastSequence, sequence);
        Volatile.Write(ref _lastPublishedTicks, time.GetUtcNow().UtcTicks);
    }

    public void LeaseChecked(bool isLeader)
    {
        if (isLeader && !_isLeader)
        {
            // A fresh leader has not published yet; give it the same grace as a fresh start.
            Volatile.Write(ref _lastPublishedTicks, 0);
        }

        _isLeader = isLeader;
        Volatile.Write(ref _lastLeaseCheckTicks, time.GetUtcNow().UtcTicks);
    }

    /// <summary>This instance must not tick until a lease check says otherwise (lease lost or Redis unreachable).</summary>
    public void NotLeader() => _isLeader = false;

    private static DateTimeOffset? FromTicks(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
