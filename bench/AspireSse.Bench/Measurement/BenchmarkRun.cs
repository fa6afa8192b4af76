using System.Diagnostics;
using AspireSse.Bench.LoadGen;
using AspireSse.Bench.Systems;

namespace AspireSse.Bench.Measurement;

/// <summary>
/// One system, one client count: start it, measure its memory with no client and with every
/// client idle, then start the ticks and measure CPU, deliveries and latency over a window, then
/// stop the ticks and check that every client got every tick.
/// </summary>
public static class BenchmarkRun
{
    /// <summary>
    /// Clients connected for the memory baseline, so it already holds the code and pools that any
    /// first client brings in: the difference from it is what further clients cost each.
    /// </summary>
    private const int BaselineClients = 50;

    private static readonly TimeSpan IdleCpuSpan = TimeSpan.FromSeconds(5);

    public static async Task<RunResult> RunAsync(SystemUnderTest system, int clients, int round, RunSettings settings,
        Action<string> log, CancellationToken cancellationToken)
    {
        await using (system)
        {
            log($"{system.Name}: starting (clients={clients}, round {round})");
            await system.StartAsync(clients, settings.StartTimeout, cancellationToken);
            await using var load = LoadFleet.Start(system.Target, clients, (name, line) => log($"{name}: {line}"));

            var few = Math.Min(BaselineClients, clients / 2);
            await load.ConnectAsync(few, settings.ConnectParallelism, settings.StartTimeout, cancellationToken);
            var baseline = await SettledAsync(system, settings, cancellationToken);
            var slabBaseline = ProcessSample.KernelSlabBytes();
            var connectTimeout = settings.StartTimeout + TimeSpan.FromMilliseconds(clients * 10);
            var connecting = Stopwatch.StartNew();
            await load.ConnectAsync(clients - few, settings.ConnectParallelism, connectTimeout, cancellationToken);
            var retried = (await load.StatusAsync(0, cancellationToken)).ConnectRetries;
            log($"{system.Name} ({system.Configuration}): {clients} clients connected in {connecting.Elapsed.TotalSeconds:F1} s from {load.Processes} load process(es)" +
                (retried > 0 ? $", {retried} opening(s) tried again" : ""));
            var idle = await SettledAsync(system, settings, cancellationToken);
            var slabIdle = ProcessSample.KernelSlabBytes();

            // What the server spends with every client connected and nothing to send (timers, heartbeats, GC).
            var quietFrom = ProcessSample.Read(system.ServerProcessIds());
            await Task.Delay(IdleCpuSpan, cancellationToken);
            var idleCores = (ProcessSample.Read(system.ServerProcessIds()).Cpu - quietFrom.Cpu) / IdleCpuSpan;

            await system.StartTicksAsync(settings.TickInterval, settings.StartTimeout, cancellationToken);
            await Task.Delay(settings.Warmup, cancellationToken);

            // CPU and deliveries are each read right after the other at both ends of the window: on a
            // saturated box the load generators answer slowly, and CPU read long before the first
            // count would be charged to deliveries that were never counted.
            var writesBefore = await system.ReadWritesAsync(cancellationToken);
            await load.SetLatencyAsync(true, cancellationToken);
            var before = ProcessSample.Read(system.ServerProcessIds());
            var window = Stopwatch.StartNew();
            var countsBefore = await load.StatusAsync(0, cancellationToken);
            await Task.Delay(settings.Window, cancellationToken);
            var after = ProcessSample.Read(system.ServerProcessIds());
            var elapsed = window.Elapsed;
            var countsAfter = await load.StatusAsync(0, cancellationToken);
            await load.SetLatencyAsync(false, cancellationToken);
            var writesAfter = await system.ReadWritesAsync(cancellationToken);
            var delivered = countsAfter.Received - countsBefore.Received;
            var bytes = countsAfter.Bytes - countsBefore.Bytes;

            var finalSequence = await system.StopTicksAsync();
            var catchUp = Stopwatch.StartNew();
            var caughtUp = await load.WaitForAsync(finalSequence, settings.CatchUpQuiet, settings.CatchUpLimit, cancellationToken);
            if (!caughtUp)
            {
                log($"{system.Name}: still behind tick {finalSequence}: {await load.DescribeBehindAsync(finalSequence, cancellationToken)}");
                if (await system.DescribeProgressAsync(cancellationToken) is { } progress)
                {
                    log($"{system.Name}: {progress}");
                }
            }

            var delivery = await load.ReportAsync(finalSequence, cancellationToken);
            log($"{system.Name}: {delivery}" + (caughtUp
                ? $" (the last tick reached every client {catchUp.Elapsed.TotalSeconds:F1} s after the ticks stopped)"
                : $" (gave up waiting after {catchUp.Elapsed.TotalSeconds:F0} s: counted as lost)"));

            return new RunResult
            {
                System = system.Name,
                Configuration = system.Configuration,
                Clients = clients,
                BaselineClients = few,
                Round = round,
                TicksPerSecond = settings.TicksPerSecond,
                WindowSeconds = elapsed.TotalSeconds,
                Deliveries = delivered,
                CpuSeconds = (after.Cpu - before.Cpu).TotalSeconds,
                LatencyP50Ms = load.Latency.Percentile(50) / 1000,
                LatencyP99Ms = load.Latency.Percentile(99) / 1000,
                LatencyMaxMs = load.Latency.MaxMicroseconds / 1000,
                BaselineRssBytes = baseline.RssBytes,
                IdleRssBytes = idle.RssBytes,
                BaselinePssBytes = baseline.PssBytes,
                IdlePssBytes = idle.PssBytes,
                LoadedRssBytes = after.RssBytes,
                KernelBytesPerConnection = (double)(slabIdle - slabBaseline) / (clients - few),
                IdleCores = idleCores,
                WireBytesPerEvent = delivered == 0 ? double.NaN : (double)bytes / delivered,
                EventsPerWrite = writesBefore is { } w0 && writesAfter is { } w1 && w1.Writes > w0.Writes
                    ? (double)(w1.Events - w0.Events) / (w1.Writes - w0.Writes)
                    : double.NaN,
                FinalSequence = finalSequence,
                EventsExpected = delivery.Expected,
                EventsLost = delivery.Lost,
                Duplicates = delivery.Duplicates,
                ConnectionsDropped = delivery.Dropped,
                Error = delivery.FirstError,
            };
        }
    }

    /// <summary>
    /// Samples the server's memory until it stops moving (within the tolerance over the quiet
    /// period) or the limit passes. Nothing is forced: no GC is triggered in the server, so this is
    /// the memory the OS sees a deployed server hold.
    /// </summary>
    private static async Task<ProcessSample> SettledAsync(SystemUnderTest system, RunSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var recent = new Queue<(TimeSpan At, long Rss)>();
        while (true)
        {
            var sample = ProcessSample.Read(system.ServerProcessIds());
            recent.Enqueue((clock.Elapsed, sample.RssBytes));
            while (recent.Peek().At < clock.Elapsed - settings.SettleQuiet)
            {
                recent.Dequeue();
            }

            var quietLongEnough = clock.Elapsed >= settings.SettleQuiet;
            var spread = recent.Max(s => s.Rss) - recent.Min(s => s.Rss);
            if ((quietLongEnough && spread <= sample.RssBytes * settings.SettleTolerance) || clock.Elapsed >= settings.SettleLimit)
            {
                return sample;
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
