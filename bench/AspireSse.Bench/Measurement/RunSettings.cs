namespace AspireSse.Bench.Measurement;

/// <summary>How one system is driven: the same for every system in a benchmark.</summary>
public sealed record RunSettings
{
    public double TicksPerSecond { get; init; } = 10;

    /// <summary>Ticks flow this long before the window opens (JIT, buffers, GC budgets settle).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>CPU, deliveries and latency are taken over this window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections opening at once, per load-generator process.</summary>
    public int ConnectParallelism { get; init; } = 100;

    /// <summary>Memory counts as settled when it moved less than this over <see cref="SettleQuiet"/>.</summary>
    public double SettleTolerance { get; init; } = 0.01;

    public TimeSpan SettleQuiet { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait for memory to settle; after it the last reading is taken as it is.</summary>
    public TimeSpan SettleLimit { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// After the ticks stop, how long a server still delivering a backlog is waited for: what
    /// arrives late is late, not lost. Lost is what has not arrived once nothing more comes.
    /// </summary>
    public TimeSpan CatchUpLimit { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait for the backlog ends early once nothing at all has arrived for this long.</summary>
    public TimeSpan CatchUpQuiet { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan TickInterval => TimeSpan.FromSeconds(1 / TicksPerSecond);
}
