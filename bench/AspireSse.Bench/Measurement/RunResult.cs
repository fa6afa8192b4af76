namespace AspireSse.Bench.Measurement;

/// <summary>One system at one client count, one round: what the benchmark measured.</summary>
public sealed record RunResult
{
    public required string System { get; init; }

    /// <summary>How the system ran: replicas, workers, store (e.g. <c>3 replicas</c>, <c>1 worker, memory store</c>).</summary>
    public string Configuration { get; init; } = "";
    public required int Clients { get; init; }

    /// <summary>Clients connected when the memory baseline was read.</summary>
    public int BaselineClients { get; init; }
    public required int Round { get; init; }
    public required double TicksPerSecond { get; init; }
    public required double WindowSeconds { get; init; }

    /// <summary>Ticks received by all clients inside the measurement window.</summary>
    public required long Deliveries { get; init; }

    /// <summary>The server's CPU time (user + system, all its processes) inside the window.</summary>
    public required double CpuSeconds { get; init; }

    public required double LatencyP50Ms { get; init; }
    public required double LatencyP99Ms { get; init; }
    public required double LatencyMaxMs { get; init; }

    /// <summary>Server RSS with <see cref="BaselineClients"/> connected, settled.</summary>
    public required long BaselineRssBytes { get; init; }

    /// <summary>Server RSS with every client connected and no tick flowing yet, settled.</summary>
    public required long IdleRssBytes { get; init; }

    /// <summary>The same two in PSS (shared pages split between processes): fairer for nginx's several processes.</summary>
    public required long BaselinePssBytes { get; init; }
    public required long IdlePssBytes { get; init; }

    /// <summary>
    /// Kernel slab memory per further client, machine-wide (both ends of its loopback connection): what a
    /// connection costs outside every process, for sizing.
    /// </summary>
    public double KernelBytesPerConnection { get; init; } = double.NaN;

    /// <summary>The server's CPU-seconds per second with every client connected and no tick flowing.</summary>
    public double IdleCores { get; init; } = double.NaN;

    /// <summary>The load generators' CPU time over the window: the clients' side of the same cores.</summary>
    public double LoadCpuSeconds { get; init; } = double.NaN;

    /// <summary>Server RSS at the end of the measurement window, with ticks flowing.</summary>
    public required long LoadedRssBytes { get; init; }

    /// <summary>Bytes the clients read in the window, per delivery: the event's size on the wire.</summary>
    public required double WireBytesPerEvent { get; init; }

    /// <summary>Events per write to a client over the run's ticks, where the server counts its writes (ours); else NaN.</summary>
    public double EventsPerWrite { get; init; } = double.NaN;

    public required long FinalSequence { get; init; }
    public required long EventsExpected { get; init; }
    public required long EventsLost { get; init; }
    public required long Duplicates { get; init; }
    public required int ConnectionsDropped { get; init; }
    public string? Error { get; init; }

    /// <summary>The system was not run at this client count; <see cref="Error"/> says why.</summary>
    public bool NotRun { get; init; }

    /// <summary>A run that could not finish: every figure is missing, the error says why.</summary>
    public static RunResult Failed(string system, int clients, int round, RunSettings settings, string error) => new()
    {
        System = system,
        Clients = clients,
        Round = round,
        TicksPerSecond = settings.TicksPerSecond,
        WindowSeconds = double.NaN,
        Deliveries = 0,
        CpuSeconds = double.NaN,
        LatencyP50Ms = double.NaN,
        LatencyP99Ms = double.NaN,
        LatencyMaxMs = double.NaN,
        BaselineRssBytes = 0,
        IdleRssBytes = 0,
        BaselinePssBytes = 0,
        IdlePssBytes = 0,
        LoadedRssBytes = 0,
        WireBytesPerEvent = double.NaN,
        FinalSequence = 0,
        EventsExpected = 0,
        EventsLost = 0,
        Duplicates = 0,
        ConnectionsDropped = 0,
        Error = error,
    };

    public double CpuMicrosecondsPerEvent => Deliveries == 0 ? double.NaN : CpuSeconds * 1e6 / Deliveries;

    public double DeliveriesPerCpuSecond => CpuSeconds <= 0 ? double.NaN : Deliveries / CpuSeconds;

    /// <summary>One method for every system: memory with every client connected minus memory with a few connected, per further client.</summary>
    public double IdleBytesPerConnection => IdleRssBytes == 0 ? double.NaN : (double)(IdleRssBytes - BaselineRssBytes) / (Clients - BaselineClients);

    public double IdlePssBytesPerConnection => IdlePssBytes == 0 ? double.NaN : (double)(IdlePssBytes - BaselinePssBytes) / (Clients - BaselineClients);
}
