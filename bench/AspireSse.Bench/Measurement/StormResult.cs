namespace AspireSse.Bench.Measurement;

/// <summary>How one replica went away in a reconnect storm.</summary>
public enum StormKind
{
    /// <summary>SIGKILL: its clients see their connections reset.</summary>
    Kill,

    /// <summary>SIGTERM: it drains, asking its clients to reconnect.</summary>
    Terminate,
}

/// <summary>One moment of a storm, as the clients saw it.</summary>
/// <param name="Seconds">Since the replica was stopped (negative before).</param>
public readonly record struct StormSample(double Seconds, int Open, long Received);

/// <summary>A reconnect storm: one replica of several stopped under every client, and what its clients went through.</summary>
public sealed record StormResult
{
    public required StormKind Kind { get; init; }
    public required int Clients { get; init; }
    public required int Replicas { get; init; }
    public required double TicksPerSecond { get; init; }

    /// <summary>Streams the stopped replica held when it was stopped.</summary>
    public required int VictimClients { get; init; }

    /// <summary>Clients that had to reconnect, and how many reconnects they made in all.</summary>
    public required int Moved { get; init; }
    public required int Reconnects { get; init; }

    /// <summary>From the stop until every client's stream was open again; NaN when that never happened.</summary>
    public required double SecondsToAllLive { get; init; }

    /// <summary>The longest any moved client took to be live again beyond the <c>retry:</c> delay it was told.</summary>
    public required double LatestReturnMs { get; init; }

    /// <summary>The longest reconnect delay a client was told (<c>TickStream:ReconnectDelay</c> × 2, its jitter).</summary>
    public required double JitteredRetrySeconds { get; init; }

    /// <summary>Redis commands over the storm beyond those of an equally long quiet stretch before it, per reconnect.</summary>
    public required double RedisCommandsPerResume { get; init; }

    /// <summary>Redis CPU time over the storm, and over the quiet stretch before it.</summary>
    public required double RedisCpuMs { get; init; }
    public required double RedisQuietCpuMs { get; init; }

    /// <summary>Publish → receive p99 of the clients that never had to reconnect, over the storm.</summary>
    public required double UnmovedP99Ms { get; init; }

    /// <summary>
    /// From the stop until every client was live again: the share of all cores' time that anything
    /// ran, and the shares the surviving replicas and the load generators took of it.
    /// </summary>
    public double BoxBusy { get; init; } = double.NaN;
    public double SurvivorsCpuShare { get; init; } = double.NaN;
    public double LoadCpuShare { get; init; } = double.NaN;

    /// <summary>The highest RSS of any surviving replica during the storm.</summary>
    public required long SurvivorPeakRssBytes { get; init; }

    public required long FinalSequence { get; init; }
    public required long EventsLost { get; init; }
    public required long Duplicates { get; init; }
    public required int ConnectionsDropped { get; init; }
    public required IReadOnlyList<StormSample> Timeline { get; init; }
    public string? Error { get; init; }
}
