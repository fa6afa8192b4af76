namespace AspireSse.Bench.LoadGen;

/// <summary>
/// One load process's connections counted as they change (opened, ended, moved, each tick), so the
/// storm's timeline and the benchmark's polling read three numbers instead of walking every
/// connection: a walk touches each connection's objects all over the heap, and several walks a
/// second were a visible share of the load processes' CPU under the storm (perf, bench/results/storm-by-size/profile.md).
/// </summary>
public sealed class ConnectionTally
{
    private int _open;
    private int _moved;
    private long _received;

    /// <summary>The counts now; each is read whole, though not all from the same instant.</summary>
    public TimelinePoint Now => new(Volatile.Read(ref _open), Volatile.Read(ref _moved), Interlocked.Read(ref _received));

    internal void Opened() => Interlocked.Increment(ref _open);

    internal void Ended() => Interlocked.Decrement(ref _open);

    internal void MovedOnce() => Interlocked.Increment(ref _moved);

    internal void Tick() => Interlocked.Increment(ref _received);
}
