using AspireSse.TestSupport.Processes;
using AspireSse.ServiceDefaults;
using AspireSse.ServiceDefaults.Ticks;
using AspireSse.Telemetry.Tests.Otlp;
using AspireSse.TestSupport;

namespace AspireSse.Telemetry.Tests;

/// <summary>The meters the README lists, as a dashboard would receive them from the real processes.</summary>
public sealed class MetricTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MetersReportTicksClientsAndDeliveryLatency()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        var (first, second) = (run.Topology.Frontends[0], run.Topology.Frontends[1]);
        var clients = new List<SseTestClient>();
        foreach (var replica in new[] { first, first, first, second })
        {
            clients.Add(await run.ConnectAsync(replica, Cancellation));
        }

        foreach (var client in clients)
        {
            await client.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 5, TelemetryRun.Timeout, Cancellation);
        }

        // Everything received so far was published, relayed and written before the next exports.
        var delivered = clients.Select(c => c.Ticks.Count).ToList();
        var highest = clients.Max(c => c.Ticks[^1].Sequence);
        var eventService = TelemetryRun.SenderOf(run.Topology.EventService);
        await run.WaitForAsync(
            r => (
                Published: Value(r, eventService, SseMetrics.TicksPublished),
                FirstClients: Value(r, TelemetryRun.SenderOf(first), SseMetrics.ConnectedClients),
                SecondClients: Value(r, TelemetryRun.SenderOf(second), SseMetrics.ConnectedClients),
                FirstWrites: Histogram(r, TelemetryRun.SenderOf(first))?.Count,
                SecondWrites: Histogram(r, TelemetryRun.SenderOf(second))?.Count),
            m => m.Published >= highest && m.FirstClients == 3 && m.SecondClients == 1
                && m.FirstWrites >= (ulong)delivered.Take(3).Sum() && m.SecondWrites >= (ulong)delivered[3],
            $"tick {highest} published, 3 + 1 clients connected, {delivered.Sum()} writes measured", Cancellation);

        // Each stream came on a fresh connection, so each was answered below HTTP.
        var below = (SseMetrics.StreamPathTag, "connection");
        await run.WaitForAsync(
            r => (Value(r, TelemetryRun.SenderOf(first), SseMetrics.StreamsOpened, below), Value(r, TelemetryRun.SenderOf(second), SseMetrics.StreamsOpened, below)),
            m => m == (3, 1), "3 + 1 streams counted as opened below HTTP", Cancellation);

        // The EventService started on an empty Redis, so its count can never pass the counter there.
        var counter = (long)await (await run.RedisAsync()).StringGetAsync(TickRedisKeys.Counter);
        Assert.InRange(Value(run.Receiver, eventService, SseMetrics.TicksPublished)!.Value, highest, counter);
        foreach (var (replica, received) in new[] { (first, delivered[0]), (second, delivered[3]) })
        {
            var sender = TelemetryRun.SenderOf(replica);
            var relayed = Value(run.Receiver, sender, SseMetrics.TicksRelayed, (SseMetrics.RelaySourceTag, "live"));
            Assert.InRange(relayed!.Value, received, counter);

            var latency = Histogram(run.Receiver, sender)!;
            Assert.Equal("ms", latency.Unit);
            var mean = latency.Value / latency.Count;
            // Loopback on one machine: a mean beyond a second would mean ticks queue up somewhere.
            Assert.InRange(mean, 0, 1000);
            Assert.InRange(latency.Max!.Value, mean, 10_000);
            TestReport.Publish($"telemetry: {sender.InstanceId} relayed={relayed} writes={latency.Count} " +
                $"latency mean={mean:F1} ms max={latency.Max:F1} ms");
        }

        // Clients that leave are taken off the gauge.
        await clients[0].DisposeAsync();
        await clients[1].DisposeAsync();
        await run.WaitForAsync(r => Value(r, TelemetryRun.SenderOf(first), SseMetrics.ConnectedClients), n => n == 1,
            $"{first.Name}'s client gauge to drop to 1", Cancellation);
    }

    [Fact]
    public async Task MetersCountReplaysSlowClientsAndRedisReconnects()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation, o =>
        {
            // Fast ticks and small buffers, so a client that stops reading is cut within seconds
            // (while one that reads, on a busy machine, has seconds of slack).
            o.EventServiceEnvironment["Ticks__Interval"] = "00:00:00.050";
            o.WebFrontendEnvironment["TickStream__ClientQueueCapacity"] = "64";
            o.WebFrontendEnvironment["TickStream__SocketSendBufferBytes"] = "4096";
            o.WebFrontendEnvironment["Kestrel__Limits__MaxResponseBufferSize"] = "4096";
        });
        var (first, second) = (run.Topology.Frontends[0], run.Topology.Frontends[1]);

        var live = await run.ConnectAsync(first, Cancellation);
        var seen = await live.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 20, TelemetryRun.Timeout, Cancellation);
        var resumeAfter = seen.Where(e => e.Type == "tick").ElementAt(4);
        var resumed = await run.ConnectAsync(second, Cancellation, lastEventId: resumeAfter.Id);
        var received = await resumed.WaitUntilAsync(e => e.Any(x => x.Type == "tick" && !x.Json.GetProperty("replayed").GetBoolean()),
            TelemetryRun.Timeout, Cancellation);
        var replayed = received.Count(e => e.Type == "tick" && e.Json.GetProperty("replayed").GetBoolean());
        Assert.True(replayed >= 15, $"only {replayed} ticks were replayed");
        await run.WaitForAsync(r => Value(r, TelemetryRun.SenderOf(second), SseMetrics.EventsReplayed), n => n == replayed,
            $"{second.Name} to count the {replayed} ticks it replayed", Cancellation);

        var stalled = run.AddBrowserLikeClient(first, receiveBufferBytes: 1024);
        await Eventually.WaitAsync(() => Task.FromResult(stalled.Ticks.Count), n => n > 0, TelemetryRun.Timeout,
            "the soon-to-stall client's first tick", Cancellation);
        await stalled.PauseReadingAsync();
        await run.WaitForAsync(r => Value(r, TelemetryRun.SenderOf(first), SseMetrics.SlowClientsCut), n => n >= 1,
            $"{first.Name} to count the client it cut", Cancellation);

        var redis = await run.RedisAsync();
        // Every connection but this test's own: the services' commands and subscriptions.
        await redis.ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
        await redis.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        ServiceProcess[] processes = [run.Topology.EventService, .. run.Topology.Frontends];
        var reconnects = await run.WaitForAsync(
            r => processes.Select(p => r.Metrics.Where(m => m.Sender == TelemetryRun.SenderOf(p) && m.Name == SseMetrics.RedisReconnects).Sum(m => m.Value)).ToList(),
            counts => counts.All(n => n >= 1), "every service to count its Redis reconnect", Cancellation);
        TestReport.Publish($"telemetry: replayed={replayed} cut>=1 redis reconnects " +
            string.Join(", ", processes.Zip(reconnects, (p, n) => $"{p.Name}={n}")));
    }

    private static double? Value(OtlpReceiver receiver, Sender sender, string name, params (string Key, string Value)[] tags) =>
        receiver.Metrics.Where(m => m.Sender == sender && m.Name == name
                && tags.All(t => m.Attributes.GetValueOrDefault(t.Key) as string == t.Value))
            .Select(m => (double?)m.Value).SingleOrDefault();

    private static MetricPoint? Histogram(OtlpReceiver receiver, Sender sender) =>
        receiver.Metrics.SingleOrDefault(m => m.Sender == sender && m.Name == SseMetrics.DeliveryLatency);
}
