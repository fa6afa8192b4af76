using AspireSse.Bench.LoadGen;
using AspireSse.Bench.Measurement;
using AspireSse.Bench.Systems;
using AspireSse.Contracts;
using AspireSse.TestSupport;

namespace AspireSse.Bench.Tests;

/// <summary>
/// The load generator and a benchmark run against real processes: small, so they fit in
/// ./test.sh; the benchmark itself runs from ./bench.sh.
/// </summary>
public sealed class LoadGeneratorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwentyClientsOfTheRelayAreCountedTickByTickWithNothingLost()
    {
        await using var harness = await ServiceHarness.StartAsync(redisPersistence: false, cancellationToken: Cancellation);
        var frontend = await harness.StartWebFrontendAsync(cancellationToken: Cancellation);
        await using var load = new LoadGenerator(new LoadTarget(ClientProtocol.ServerSentEvents, new Uri(frontend.Url, "/events")));
        await load.ConnectAsync(20, parallelism: 10, Eventually.Timeout, Cancellation);
        load.Latency.Enabled = true;

        var ticker = await harness.StartEventServiceAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.050" }, cancellationToken: Cancellation);
        await Eventually.WaitAsync(() => Task.FromResult(load.Report(0)), report => load.Connections.All(c => c.Received >= 20),
            Eventually.Timeout, "every client to receive 20 ticks", Cancellation);
        await ticker.StopAsync(TimeSpan.FromSeconds(10));
        var redis = await harness.ConnectRedisAsync();
        var final = (long)await redis.GetDatabase().StringGetAsync(TickRedisKeys.Counter);

        Assert.True(await load.WaitForAsync(final, Eventually.Timeout, Eventually.Timeout, Cancellation), "every client reached the last tick");
        var report = load.Report(final);
        Assert.Equal(20 * final, report.Received);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicates);
        Assert.Equal(0, report.Malformed);
        Assert.Equal(0, report.Dropped);
        Assert.Equal(report.Received, load.Latency.Count);
        // The running tally, which the storm's timeline reads, agrees with a walk over the connections.
        Assert.Equal(new TimelinePoint(Open: 20, Moved: 0, Received: report.Received), load.Tally.Now);
        Assert.True(load.Latency.Percentile(50) > 0, "latencies were parsed from publishedAt");
        // Bytes per tick event, SSE framing included (the README's Benchmark section gives the size):
        // an order of magnitude, not a size check.
        Assert.InRange((double)load.Bytes / report.Received, 100, 400);
    }

    [Fact]
    public async Task ABenchmarkRunOfTheSignalRPeerMeasuresCpuMemoryAndLatencyAndLosesNothing()
    {
        var settings = new RunSettings
        {
            TicksPerSecond = 20,
            Warmup = TimeSpan.FromSeconds(1),
            Window = TimeSpan.FromSeconds(2),
            SettleLimit = TimeSpan.FromSeconds(3),
        };

        var result = await BenchmarkRun.RunAsync(new SignalRSystem(static (_, _) => { }), clients: 10, round: 1, settings,
            static _ => { }, Cancellation);

        Assert.Null(result.Error);
        Assert.True(result.Deliveries > 0, "ticks were delivered in the window");
        Assert.True(result.CpuSeconds >= 0);
        Assert.True(result.BaselineRssBytes > 0 && result.IdleRssBytes > 0, "the hub's memory was read from /proc");
        Assert.True(result.LatencyP50Ms > 0 && result.LatencyMaxMs >= result.LatencyP99Ms);
        Assert.True(result.FinalSequence > 0);
        Assert.Equal(0, result.EventsLost);
        Assert.Equal(0, result.Duplicates);
        Assert.Equal(0, result.ConnectionsDropped);
    }

    [Fact]
    public async Task AStormOfThreeReplicasOnOnePortMovesTheKilledReplicasClientsWithNothingLostOrRepeated()
    {
        // The rate the benchmark's storm runs at.
        var settings = new RunSettings
        {
            TicksPerSecond = new BenchOptions().StormTicksPerSecond,
            Warmup = TimeSpan.FromSeconds(1),
            CatchUpLimit = Eventually.Timeout,
        };

        var storm = await StormRun.RunAsync(StormKind.Kill, clients: 150, replicas: 3, settings, static (_, _) => { }, static _ => { },
            Cancellation);

        Assert.Null(storm.Error);
        // The kernel spreads 150 connections over three listeners: the fullest holds at least a third.
        Assert.InRange(storm.VictimClients, 50, 150);
        Assert.Equal(storm.VictimClients, storm.Moved);
        Assert.True(double.IsFinite(storm.SecondsToAllLive), "every client was live again");
        Assert.True(storm.FinalSequence > 0);
        Assert.Equal(0, storm.EventsLost);
        Assert.Equal(0, storm.Duplicates);
        Assert.Equal(0, storm.ConnectionsDropped);
        Assert.Contains(storm.Timeline, s => s.Open < 150);
        Assert.Equal(150, storm.Timeline[^1].Open);
        Assert.True(storm.SurvivorPeakRssBytes > 0, "the survivors' memory was read from /proc");
        // A reconnect takes some time beyond the retry delay it waited (a connect, a request), never none.
        Assert.InRange(storm.LatestReturnMs, 0.01, 10_000);
        Assert.InRange(storm.BoxBusy, 0.001, 1);
        Assert.InRange(storm.SurvivorsCpuShare + storm.LoadCpuShare, 0.001, storm.BoxBusy + 0.05);
    }
}
