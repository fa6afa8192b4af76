using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.Telemetry.Tests.Dashboard;
using AspireSse.TestSupport;

namespace AspireSse.Telemetry.Tests;

/// <summary>What the Aspire dashboard's trace view shows, read from the dashboard the AppHost runs.</summary>
public sealed class TraceTests
{
    private const string RedisInstrumentation = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryReplicaRelaysATickInsideThePublishersTrace()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        var frontends = run.System.WebFrontends;
        var eventServices = run.System.EventServices.Select(r => r.ResourceId).ToList();
        // One client per replica, so each relay span has a known audience of one.
        var clients = new List<SseTestClient>();
        foreach (var replica in frontends)
        {
            clients.Add(await run.ConnectAsync(replica, Cancellation));
        }

        // The five ticks from the first one every client has. The replicas relay each tick a few ms
        // apart, so each client is waited for until it has them all, not sampled at one moment.
        foreach (var client in clients)
        {
            await client.WaitUntilAsync(e => e.Any(x => x.Type == "tick"), TelemetryRun.Timeout, Cancellation);
        }

        var first = clients.Max(c => c.Ticks[0].Sequence);
        var sequences = Enumerable.Range(0, 5).Select(i => first + i).ToList();
        foreach (var client in clients)
        {
            var seen = await client.WaitUntilAsync(e => e.Any(x => x.Type == "tick" && x.Sequence >= sequences[^1]), TelemetryRun.Timeout, Cancellation);
            Assert.Subset(seen.Where(x => x.Type == "tick").Select(x => x.Sequence).ToHashSet(), sequences.ToHashSet());
        }

        var replicas = frontends.Select(TelemetryRun.SenderOf).ToList();
        var traces = await run.WaitForAsync(
            d => TickTrace.FindAsync(d, eventServices, sequences, Cancellation),
            // Redis command spans are exported some seconds after the command: the instrumentation
            // collects them from StackExchange.Redis's profiler on a timer.
            ts => ts.All(t => t.Publish is { } publish && replicas.All(replica => t.Processes.Any(p => p.Sender == replica))
                && t.Spans.Any(s => s.Scope == RedisInstrumentation && s.ParentSpanId == publish.SpanId)),
            $"a publish span, a Redis command under it and a process span from each of {replicas.Count} replicas for ticks {string.Join(", ", sequences)}",
            Cancellation);

        var redisCommands = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var trace in traces)
        {
            var publish = trace.Publish!;
            Assert.Contains(publish.Sender, run.System.EventServices.Select(TelemetryRun.SenderOf));
            Assert.Equal(DashboardSpanKind.Producer, publish.Kind);
            Assert.Equal(TickTrace.PublishSpan, publish.Name);
            Assert.Equal("redis", publish.Attribute("messaging.system"));
            Assert.Equal("aspiresse:ticks", publish.Attribute("messaging.destination.name"));
            Assert.Equal("", publish.ParentSpanId);
            Assert.Single(trace.Spans, s => s.SpanId == publish.SpanId);

            // Exactly one relay per replica: a second would mean the tick was relayed twice.
            var processes = trace.Processes;
            Assert.Equal(replicas.Select(r => r.InstanceId).Order(), processes.Select(p => p.Sender.InstanceId).Order());
            foreach (var process in processes)
            {
                Assert.Equal(publish.TraceId, process.TraceId);
                Assert.Equal(publish.SpanId, process.ParentSpanId);
                Assert.Equal(DashboardSpanKind.Consumer, process.Kind);
                Assert.Equal("redis", process.Attribute("messaging.system"));
                Assert.Equal("live", process.Attribute(SseMetrics.RelaySourceTag));
                Assert.Equal(1, process.LongAttribute(SseTelemetry.RelayClientsTag));
                Assert.Equal(trace.Sequence, process.LongAttribute(SseTelemetry.SequenceTag));
                Assert.Empty(process.Links);
            }

            // Aspire's Redis client traces every command: the publisher's script runs inside the publish span.
            var commands = trace.Spans.Where(s => s.Scope == RedisInstrumentation).ToList();
            var underPublish = Assert.Single(commands, c => c.ParentSpanId == publish.SpanId);
            Assert.Equal((DashboardSpanKind.Client, "redis", publish.Sender), (underPublish.Kind, underPublish.Attribute("db.system"), underPublish.Sender));
            redisCommands.UnionWith(commands.Select(c => c.Name));

            TestReport.Publish($"telemetry: tick {trace.Sequence} trace {publish.TraceId} spans={trace.Spans.Count}: 1 publish " +
                $"({publish.Sender.InstanceId}) + {processes.Count} process ({string.Join(", ", processes.Select(p => p.Sender.InstanceId).Order())}), " +
                $"each a child of publish span {publish.SpanId}; redis {string.Join("/", commands.Select(c => c.Name))} under it");
        }

        // Every span in the trace is one of those: nothing else joins a tick's trace.
        Assert.All(traces, t => Assert.Equal(1 + replicas.Count + 1, t.Spans.Count));
        TestReport.Publish($"telemetry: redis commands in tick traces: {string.Join(", ", redisCommands)}");
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ReplayedAndBackfilledTicksLinkToTheirPublishSpanInsteadOfJoiningIt(FastPathMode fastPath)
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation, fastPath: fastPath);
        var (first, second) = (run.System.WebFrontends[0], run.System.WebFrontends[1]);
        var eventServices = run.System.EventServices.Select(r => r.ResourceId).ToList();
        var live = await run.ConnectAsync(first, Cancellation);
        var seen = await live.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 10, TelemetryRun.Timeout, Cancellation);
        var ticks = seen.Where(e => e.Type == "tick").ToList();

        // A client resuming on the other replica is sent what it missed (from that replica's recent ticks).
        var resumed = await run.ConnectAsync(second, Cancellation, lastEventId: ticks[2].Id);
        var received = await resumed.WaitUntilAsync(
            e => e.Any(x => x.Type == "tick" && x.Sequence > ticks[^1].Sequence), TelemetryRun.Timeout, Cancellation);
        var replayed = received.Where(e => e.Type == "tick" && e.Json.GetProperty("replayed").GetBoolean()).Select(e => e.Sequence).ToList();
        Assert.Equal(ticks[3].Sequence, replayed[0]);

        // The replay span is among the replica's newest spans; each of its links is followed to the
        // publish span it names, however long ago that tick was published.
        var replay = await run.WaitForAsync(
            async d => (await d.SpansAsync([second.ResourceId], Cancellation, limit: DashboardTelemetry.RecentSpans)).SingleOrDefault(s => s.Name == TickTrace.ReplaySpan),
            r => r is not null, $"the replay span of {second.ResourceId}", Cancellation);
        var publishes = await run.WaitForAsync(
            d => Task.WhenAll(replay!.Links.Select(link => TickTrace.PublishSpanInAsync(d, link.TraceId, Cancellation))),
            p => p.All(span => span is not null), $"the publish spans that the replay of ticks {replayed[0]}..{replayed[^1]} links to", Cancellation);
        Assert.Equal(TelemetryRun.SenderOf(second), replay!.Sender);
        Assert.Equal(replayed.Count, replay.LongAttribute("messaging.batch.message_count"));
        Assert.Equal(replayed, publishes.Select(p => p!.LongAttribute(SseTelemetry.SequenceTag)!.Value));
        Assert.Equal(publishes.Select(p => (p!.TraceId, p.SpanId)), replay.Links);
        Assert.DoesNotContain(replay.TraceId, publishes.Select(p => p!.TraceId));

        // Answered below HTTP (a fresh connection, the fast path on), the replay's parent is the stream's
        // opening span, which has ended, and so been exported, while the stream goes on. Through the HTTP
        // pipeline it is ASP.NET Core's request span, which ends with the stream.
        var belowHttp = fastPath == FastPathMode.On;
        if (!belowHttp)
        {
            await resumed.DisposeAsync();
        }

        var replayTrace = await run.WaitForAsync(d => d.TraceAsync(replay.TraceId, Cancellation),
            spans => spans.Any(s => s.SpanId == replay.ParentSpanId),
            $"the span that opened the resumed stream on {second.ResourceId}", Cancellation);
        var opening = replayTrace.Single(s => s.SpanId == replay.ParentSpanId);
        Assert.Equal(("GET /events", DashboardSpanKind.Server, replay.TraceId), (opening.Name, opening.Kind, opening.TraceId));
        Assert.Equal(belowHttp ? "connection" : "pipe", opening.Attribute(SseMetrics.StreamPathTag));
        Assert.Equal(200, opening.LongAttribute("http.response.status_code"));
        if (belowHttp)
        {
            Assert.False(resumed.Ended, "the stream is still open");
        }
        // The history was read with Redis commands inside the replay's own trace, not the publishers'.
        var historyReads = replayTrace.Where(s => s.Scope == RedisInstrumentation).Select(s => s.Name).Distinct().Order().ToList();
        TestReport.Publish($"telemetry: replay on {second.InstanceId} trace {replay.TraceId} links={replay.Links.Count} " +
            $"to the publish spans of ticks {replayed[0]}..{replayed[^1]} (traces {publishes[0]!.TraceId}…); " +
            $"redis in its trace: {(historyReads.Count == 0 ? "none" : string.Join(", ", historyReads))} " +
            $"source={replay.Attribute(SseMetrics.ReplaySourceTag)}");

        // Ticks a replica missed on pub/sub are filled in from history.
        var killed = await SubscriptionGap.CreateAsync(await run.System.RedisAsync(Cancellation), () => run.System.Freeze(second),
            second.ResourceId, ticks: 2, TelemetryRun.Timeout, Cancellation);
        Assert.True(killed >= 2, $"killed {killed} pub/sub connection(s)");

        var backfilled = await run.WaitForAsync(
            async d => (await d.SpansAsync([second.ResourceId], Cancellation, limit: DashboardTelemetry.RecentSpans)).FirstOrDefault(s => s.Name == TickTrace.ProcessSpan
                && s.Attribute(SseMetrics.RelaySourceTag) == "backfill"),
            b => b is not null, $"{second.ResourceId} to backfill a tick it missed while its subscription was cut", Cancellation);
        var link = Assert.Single(backfilled!.Links);
        var original = await run.WaitForAsync(d => TickTrace.PublishSpanInAsync(d, link.TraceId, Cancellation), p => p is not null,
            $"the publish span that the backfill of tick {backfilled.LongAttribute(SseTelemetry.SequenceTag)} links to", Cancellation);
        Assert.Equal(backfilled.LongAttribute(SseTelemetry.SequenceTag), original!.LongAttribute(SseTelemetry.SequenceTag));
        Assert.Equal([(original!.TraceId, original.SpanId)], backfilled!.Links);
        Assert.NotEqual(original.TraceId, backfilled.TraceId);
        Assert.Equal("", backfilled.ParentSpanId);
        // And the publisher's trace still holds only what joined it live: the backfill is not in it.
        Assert.DoesNotContain(await run.Dashboard.TraceAsync(original.TraceId, Cancellation), s => s.SpanId == backfilled.SpanId);
        TestReport.Publish($"telemetry: backfill on {backfilled.Sender.InstanceId} of tick {backfilled.LongAttribute(SseTelemetry.SequenceTag)} " +
            $"trace {backfilled.TraceId} links=1 to publish span {original.SpanId} in trace {original.TraceId}");
    }

    [Fact]
    public async Task ServiceNameAndInstanceIdTellEveryProcessApart()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        Replica[] instances = [.. run.System.EventServices, .. run.System.WebFrontends];
        var expected = instances.Select(r => (r.ResourceName, r.InstanceId, r.ResourceId)).Order().ToList();

        var resources = await run.WaitForAsync(
            d => d.ResourcesAsync(Cancellation),
            rs => rs.Count >= instances.Length && rs.All(r => r.HasTraces && r.HasLogs),
            $"traces and logs from each of {string.Join(", ", instances.Select(r => r.ResourceId))}", Cancellation);

        // Two EventService instances and three WebFrontend replicas, each its own resource: the
        // dashboard tells them apart by service.instance.id, which is the suffix of Aspire's resource id.
        Assert.Equal(expected, resources.Select(r => (r.Name, r.InstanceId!, r.DisplayName)).Order().ToList());
        Assert.Equal(5, resources.Select(r => r.InstanceId).Distinct().Count());
        Assert.Equal([(RunningSystem.EventService, 2), (RunningSystem.WebFrontend, 3)],
            resources.GroupBy(r => r.Name).Select(g => (g.Key, g.Count())).Order());

        // What the dashboard files under an instance was sent by that instance.
        foreach (var instance in instances)
        {
            var spans = await run.Dashboard.SpansAsync([instance.ResourceId], Cancellation);
            Assert.NotEmpty(spans);
            Assert.All(spans, s => Assert.Equal(TelemetryRun.SenderOf(instance), s.Sender));
        }

        TestReport.Publish($"telemetry: dashboard resources {string.Join(", ", resources.Select(r => r.DisplayName).Order())}");
    }
}
