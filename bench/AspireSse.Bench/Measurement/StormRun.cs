using System.Diagnostics;
using AspireSse.Bench.LoadGen;
using AspireSse.Bench.Systems;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Measurement;

/// <summary>
/// The reconnect storm: every client on one shared port over several replicas, ticks flowing; the
/// replica holding the most streams is stopped (SIGKILL, or SIGTERM and its drain) and its clients
/// come back on the others with their <c>Last-Event-ID</c>. Then every client must hold every tick.
/// </summary>
public static class StormRun
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the clients go on after the last one is live again, so the storm's aftermath is measured too.</summary>
    private static readonly TimeSpan Aftermath = TimeSpan.FromSeconds(5);

    /// <summary>Given up on all clients being live again after this.</summary>
    private static readonly TimeSpan ReturnLimit = TimeSpan.FromSeconds(90);

    /// <summary>The WebFrontend's reconnect delay (<c>TickStream:ReconnectDelay</c>); its jitter adds up to as much again.</summary>
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    public static async Task<StormResult> RunAsync(StormKind kind, int clients, int replicas, RunSettings settings,
        OutputSink output, Action<string> log, CancellationToken cancellationToken)
    {
        await using var system = new RelaySystem(output, replicas: replicas, reconnect: true);
        log($"storm ({kind}): {clients} clients over {replicas} replicas");
        await system.StartAsync(clients, settings.StartTimeout, cancellationToken);
        await using var load = LoadFleet.Start(system.Target, clients, (name, line) => log($"{name}: {line}"));
        await load.ConnectAsync(clients, settings.ConnectParallelism, settings.StartTimeout + TimeSpan.FromMilliseconds(clients * 10),
            cancellationToken);
        await system.StartTicksAsync(settings.TickInterval, settings.StartTimeout, cancellationToken);
        await Task.Delay(settings.Warmup, cancellationToken);

        var held = await Task.WhenAll(system.Replicas.Select(async r => (Replica: r,
            Clients: (await RelaySystem.StatsAsync(r, cancellationToken)).GetProperty("clients").GetInt32())));
        var (victim, victimClients) = held.MaxBy(h => h.Clients);
        var survivors = system.Replicas.Where(r => r != victim).ToList();

        // A quiet stretch as long as the storm is expected to be, for what Redis does anyway (ticks, subscribers).
        var quietSpan = (ReconnectDelay * 2) + Aftermath;
        var quietStart = await system.RedisCountersAsync();
        await Task.Delay(quietSpan, cancellationToken);
        var stormStart = await system.RedisCountersAsync();

        // The timeline is sampled by each load process on a thread of its own, by the clock from the
        // stop on: under the storm a status command reaches them seconds late.
        var stopAt = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        await load.StartTimelineAsync(stopAt, SampleEvery, cancellationToken);
        await BenchmarkRun.DelayUntilAsync(stopAt, cancellationToken);

        var survivorPids = survivors.Select(r => r.Pid).OfType<int>().ToList();
        var cpuFrom = CpuReading.Take(survivorPids, load.ProcessIds);
        var cpuTo = cpuFrom;
        var clock = Stopwatch.StartNew();
        long peakRss = 0;
        await load.SetLatencyAsync(true, cancellationToken);
        log($"storm ({kind}): stopping {victim.Name}, which holds {victimClients} streams");
        var stopping = kind == StormKind.Kill ? victim.KillAsync() : victim.StopAsync(TimeSpan.FromSeconds(30));
        double allLive = double.NaN;
        while (clock.Elapsed < ReturnLimit)
        {
            var status = await load.CountsAsync(cancellationToken);
            peakRss = Math.Max(peakRss, survivors.Max(r => ProcessSample.Read(r.Pid is { } pid ? [pid] : []).RssBytes));
            if (double.IsNaN(allLive) && status.Open == clients && status.Moved >= victimClients && stopping.IsCompleted)
            {
                allLive = clock.Elapsed.TotalSeconds;
                cpuTo = CpuReading.Take(survivorPids, load.ProcessIds);
            }

            if (!double.IsNaN(allLive) && clock.Elapsed.TotalSeconds >= allLive + Aftermath.TotalSeconds)
            {
                break;
            }

            await Task.Delay(SampleEvery, cancellationToken);
        }

        await stopping;
        if (double.IsNaN(allLive))
        {
            cpuTo = CpuReading.Take(survivorPids, load.ProcessIds);
        }

        var points = await load.StopTimelineAsync(cancellationToken);
        var timeline = points.Select((p, k) => new StormSample(k * SampleEvery.TotalSeconds, p.Open, p.Received - points[0].Received)).ToList();
        var firstAllLive = Array.FindIndex(points, p => p.Open == clients && p.Moved >= victimClients);
        if (!double.IsNaN(allLive))
        {
            // The clock-sampled timeline says when; the status calls above only said that it happened.
            allLive = firstAllLive >= 0 ? firstAllLive * SampleEvery.TotalSeconds : allLive;
        }

        var stormSpan = clock.Elapsed;
        var stormEnd = await system.RedisCountersAsync();
        await load.SetLatencyAsync(false, cancellationToken);
        var moved = await load.StatusAsync(0, cancellationToken);

        var finalSequence = await system.StopTicksAsync();
        await load.WaitForAsync(finalSequence, settings.CatchUpQuiet, settings.CatchUpLimit, cancellationToken);
        var delivery = await load.ReportAsync(finalSequence, cancellationToken);
        log($"storm ({kind}): {delivery}; moved={moved.Moved} reconnects={moved.Reconnects} all live after {allLive:F1} s");
        if (moved.Reconnects > moved.Moved)
        {
            log($"storm ({kind}): why streams last ended: {moved.CommonEnd}");
        }

        var quietCommands = (stormStart.Commands - quietStart.Commands) * (stormSpan / quietSpan);
        return new StormResult
        {
            Kind = kind,
            Clients = clients,
            Replicas = replicas,
            TicksPerSecond = settings.TicksPerSecond,
            VictimClients = victimClients,
            Moved = moved.Moved,
            Reconnects = moved.Reconnects,
            SecondsToAllLive = allLive,
            LatestReturnMs = moved.LatestReturnMs,
            JitteredRetrySeconds = (ReconnectDelay * 2).TotalSeconds,
            RedisCommandsPerResume = moved.Reconnects == 0 ? double.NaN
                : Math.Max(0, stormEnd.Commands - stormStart.Commands - quietCommands) / moved.Reconnects,
            RedisCpuMs = (stormEnd.Cpu - stormStart.Cpu).TotalMilliseconds,
            RedisQuietCpuMs = (stormStart.Cpu - quietStart.Cpu).TotalMilliseconds * (stormSpan / quietSpan),
            UnmovedP99Ms = load.UnmovedLatency.Percentile(99) / 1000,
            BoxBusy = MachineInfo.BusyFraction(cpuFrom.Box, cpuTo.Box),
            SurvivorsCpuShare = cpuTo.SurvivorsShareSince(cpuFrom),
            LoadCpuShare = cpuTo.LoadShareSince(cpuFrom),
            SurvivorPeakRssBytes = peakRss,
            FinalSequence = finalSequence,
            EventsLost = delivery.Lost,
            Duplicates = delivery.Duplicates,
            ConnectionsDropped = delivery.Dropped,
            Timeline = timeline,
            Error = delivery.FirstError,
        };
    }

    /// <summary>The machine's CPU time, and that of the survivors and of the load generators, at one moment.</summary>
    private readonly record struct CpuReading((long Busy, long Total) Box, TimeSpan Survivors, TimeSpan Load, long At)
    {
        public static CpuReading Take(IReadOnlyList<int> survivors, IReadOnlyList<int> load) =>
            new(MachineInfo.CpuTimes(), ProcessSample.Read(survivors).Cpu, ProcessSample.Read(load).Cpu, Stopwatch.GetTimestamp());

        public double SurvivorsShareSince(CpuReading from) => Share(Survivors - from.Survivors, from);

        public double LoadShareSince(CpuReading from) => Share(Load - from.Load, from);

        private double Share(TimeSpan cpu, CpuReading from) =>
            At == from.At ? double.NaN : cpu / (Stopwatch.GetElapsedTime(from.At, At) * Environment.ProcessorCount);
    }
}
