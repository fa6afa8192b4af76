namespace AspireSse.Contracts;

/// <summary>
/// The names of every instrument on the <see cref="SseTelemetry.MeterName"/> meter. Both services
/// and the tests use these, so a dashboard query, a service and its test cannot drift apart.
/// </summary>
public static class SseMetrics
{
    /// <summary>Counter, EventService: ticks the leader published (each one exactly once across all instances).</summary>
    public const string TicksPublished = "aspiresse.ticks.published";

    /// <summary>1 while this EventService instance holds the lease and ticks, 0 while it stands by.</summary>
    public const string TickerLeader = "aspiresse.ticker.leader";

    /// <summary>Counter, WebFrontend: ticks this replica fanned out; <c>aspiresse.relay.source</c> is <c>live</c> or <c>backfill</c>.</summary>
    public const string TicksRelayed = "aspiresse.ticks.relayed";

    /// <summary>UpDownCounter, WebFrontend: SSE clients connected to this replica now.</summary>
    public const string ConnectedClients = "aspiresse.sse.clients";

    /// <summary>Histogram (ms), WebFrontend: from the tick's publish timestamp to its write to one client.</summary>
    public const string DeliveryLatency = "aspiresse.tick.delivery.latency";

    /// <summary>Counter, WebFrontend: clients disconnected because their queue was full.</summary>
    public const string SlowClientsCut = "aspiresse.sse.clients.cut";

    /// <summary>Counter, WebFrontend: ticks replayed to clients that resumed, from memory or the history stream (see <see cref="Replays"/>).</summary>
    public const string EventsReplayed = "aspiresse.sse.events.replayed";

    /// <summary>
    /// Counter, WebFrontend: resumes replayed; <see cref="ReplaySourceTag"/> says where from: <c>window</c>
    /// (this replica's recent ticks, no Redis read) or <c>history</c> (the history stream in Redis).
    /// </summary>
    public const string Replays = "aspiresse.sse.replays";

    /// <summary>
    /// Histogram ({event}), WebFrontend: events sent to a client in one write. Its count is the
    /// number of writes; above 1 means queued events (a burst, a slow reader) left together.
    /// </summary>
    public const string EventsPerWrite = "aspiresse.sse.write.events";

    /// <summary>
    /// Counter, WebFrontend: <c>/events</c> streams opened; <see cref="StreamPathTag"/> says how each
    /// is written (<c>connection</c>, <c>socket</c> or <c>pipe</c>, see the README).
    /// </summary>
    public const string StreamsOpened = "aspiresse.sse.streams.opened";

    /// <summary>Counter, both services: Redis connections restored after a failure; <c>redis.connection.type</c> says which.</summary>
    public const string RedisReconnects = "aspiresse.redis.reconnects";

    /// <summary>The <see cref="TicksRelayed"/> tag saying whether a tick came live or was filled in from history.</summary>
    public const string RelaySourceTag = "aspiresse.relay.source";

    /// <summary>The <see cref="Replays"/> tag, also set on the replay span: <c>window</c> or <c>history</c>.</summary>
    public const string ReplaySourceTag = "aspiresse.replay.source";

    /// <summary>The <see cref="StreamsOpened"/> tag, also set on the span that opened the stream.</summary>
    public const string StreamPathTag = "aspiresse.sse.path";
}
