using System.ComponentModel.DataAnnotations;

namespace AspireSse.WebFrontend.Relay;

/// <summary>The <c>TickStream</c> configuration section.</summary>
public sealed class TickStreamOptions
{
    public const string SectionName = "TickStream";

    /// <summary>
    /// How often an idle stream gets a <c>heartbeat</c> event. Proxies and load balancers close
    /// connections that stay silent (YARP after 100 s, many others after 60 s). None is sent while
    /// ticks flow, so a stream is never silent for longer than twice this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00",
        ErrorMessage = "TickStream:HeartbeatInterval must be between 100 ms and 10 minutes.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Events buffered per client. A client that falls this far behind is cut rather than allowed to
    /// hold memory or slow anyone else down.
    /// </summary>
    [Range(4, 1_000_000, ErrorMessage = "TickStream:ClientQueueCapacity must be between 4 and 1000000.")]
    public int ClientQueueCapacity { get; set; } = 256;

    /// <summary>
    /// The reconnect delay each client is told (<c>retry:</c>), plus a random part of up to the
    /// same again, so clients of a replica that goes away do not all come back in the same instant.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00",
        ErrorMessage = "TickStream:ReconnectDelay must be between 10 ms and 1 minute.")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On shutdown, how long the replica reports itself unready before it asks its clients to
    /// reconnect: long enough for a health-probing proxy to stop sending it new clients.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00",
        ErrorMessage = "TickStream:DrainDelay must be between 0 and 1 minute.")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Kernel send buffer per connection, in bytes; 0 keeps the OS default (auto-tuned, up to
    /// megabytes). A small buffer makes a stalled client fill its queue, and be cut, sooner.
    /// </summary>
    [Range(0, 16 * 1024 * 1024, ErrorMessage = "TickStream:SocketSendBufferBytes must be between 0 and 16777216.")]
    public int SocketSendBufferBytes { get; set; }

    /// <summary>
    /// Ticks each replica keeps in memory to replay to resuming clients (<see cref="RecentTicks"/>);
    /// 0 keeps none, so every resume reads Redis. When a replica dies its clients all resume within
    /// a reconnect delay of each other, from nearly the same tick, and this serves them all without
    /// a Redis read. 1024 covers about 50 s at 20 ticks a second, for a few hundred KB.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "TickStream:RecentTicks must be between 0 and 1000000.")]
    public int RecentTicks { get; set; } = 1024;

    /// <summary>
    /// Replays reading the history stream at once, per replica (<see cref="HistoryReadLimit"/>);
    /// the others wait. Resumes from further back than <see cref="RecentTicks"/> each cost Redis a
    /// read, and thousands at once would queue in front of the subscriber's own backfill.
    /// </summary>
    [Range(1, 1024, ErrorMessage = "TickStream:ConcurrentHistoryReads must be between 1 and 1024.")]
    public int ConcurrentHistoryReads { get; set; } = 16;

    /// <summary>
    /// How long opening a stream waits for Redis when only Redis can say whether the id a client
    /// resumes after was ever published (it is ahead of this replica). Past it the client gets
    /// <c>503</c> with <c>Retry-After</c> instead of waiting on a Redis that does not answer. Shorter
    /// than the Redis client's own command timeout, so the refusal comes first, and than a client
    /// or proxy waits for response headers, even when a stream is decided twice (the fast path
    /// leaves a refusal to the endpoint, which decides again).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30",
        ErrorMessage = "TickStream:ResumeCheckTimeout must be between 100 ms and 30 seconds.")]
    public TimeSpan ResumeCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A jittered reconnect delay: <see cref="ReconnectDelay"/> plus up to as much again.</summary>
    public TimeSpan JitteredReconnectDelay() => ReconnectDelay * (1 + Random.Shared.NextDouble());
}
