using System.ComponentModel.DataAnnotations;

namespace AspireSse.EventService.Ticking;

/// <summary>The <c>Ticks</c> configuration section.</summary>
public sealed class TickerOptions
{
    public const string SectionName = "Ticks";

    /// <summary>Time between ticks. Tests lower it to hit faults mid-stream.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00",
        ErrorMessage = "Ticks:Interval must be between 1 ms and 1 hour.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many ticks the Redis Stream keeps (approximately: trimming uses <c>MAXLEN ~</c>, which is
    /// far cheaper than exact trimming). Clients can resume from anywhere inside this window.
    /// </summary>
    [Range(10, 100_000_000, ErrorMessage = "Ticks:HistoryLength must be between 10 and 100000000.")]
    public int HistoryLength { get; set; } = 10_000;

    /// <summary>
    /// How long the single-writer lease lasts without renewal. Any number of EventService replicas
    /// may run; one holds the lease and ticks, the others stand by. When the holder dies, a standby
    /// takes over once the lease expires, so this bounds the pause in ticking.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00",
        ErrorMessage = "Ticks:LeaseTime must be between 200 ms and 10 minutes.")]
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many replicas must hold a tick (Redis <c>WAIT</c>) before it is published and may be
    /// replayed. 0 publishes at once, for a Redis without replicas; the AppHost sets 1 with its
    /// Sentinel topology, so that a failover cannot take back a tick anyone saw.
    /// </summary>
    [Range(0, 5, ErrorMessage = "Ticks:ReplicaAcknowledgements must be between 0 and 5.")]
    public int ReplicaAcknowledgements { get; set; }

    /// <summary>
    /// How long one tick waits for the replicas to acknowledge it. While none does (the replica is
    /// down or resyncing), the tick is held back and tried again at the next interval: ticking pauses.
    /// WAIT blocks the connection it runs on, so this also delays the lease renewals queued behind it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10",
        ErrorMessage = "Ticks:ReplicaAcknowledgementTimeout must be between 1 ms and 10 s.")]
    public TimeSpan ReplicaAcknowledgementTimeout { get; set; } = TimeSpan.FromMilliseconds(200);
}
