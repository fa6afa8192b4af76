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

            // Writes are counted over the whole run, from before the first tick to after the last
            // reached every client: a replica that is behind answers its stats only after its backlog.
            var writesBefore = await system.ReadWritesAsync(cancellationToken);
            await system.StartTicksAsync(settings.TickInterval, settings.StartTimeout, cancellationToken);

            // The window is fixed in advance, after the warm-up: each load process counts its clients'
            // deliveries at both ends by the clock, as this process reads the server's CPU. On a
            // saturated box a command reaches a load process tens of seconds late, so a window opened
            // and closed by commands charged CPU to deliveries it did not count, and let ticks go on
            // being published while it waited, giving the server under test more to deliver.
            var from = DateTimeOffset.UtcNow + settings.Warmup;
            var to = from + settings.Window;
            await load.ScheduleWindowAsync(from, to, cancellationToken);
            await DelayUntilAsync(from, cancellationToken);
            var before = ProcessSample.Read(system.ServerProcessIds());
            var loadBefore = ProcessSample.Read(load.ProcessIds);
            var window = Stopwatch.StartNew();
            await DelayUntilAsync(to, cancellationToken);
            var after = ProcessSample.Read(system.ServerProcessIds());
            var loadAfter = ProcessSample.Read(load.ProcessIds);
            var elapsed = window.Elapsed;
            var finalSequence = await system.StopTicksAsync();
            var counts = await load.WindowCountsAsync(cancellationToken);
            if (counts.LateMs > 1000)
            {
                log($"{system.Name}: a load process counted the window {counts.LateMs / 1000:F1} s late");
            }

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
            var writesAfter = await system.ReadWritesAsync(cancellationToken);
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
                Deliveries = counts.Received,
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
                LoadCpuSeconds = (loadAfter.Cpu - loadBefore.Cpu).TotalSeconds,
                WireBytesPerEvent = counts.Received == 0 ? double.NaN : (double)counts.Bytes / counts.Received,
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

    /// <summary>Waits until <paramref name="at"/> by the clock; at once if it has passed.</summary>
    internal static async Task DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (at - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
        {
            await Task.Delay(wait, cancellationToken);
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
