using AspireSse.TestSupport.Processes;
using AspireSse.ServiceDefaults;
using AspireSse.Telemetry.Tests.Otlp;
using AspireSse.TestSupport;

namespace AspireSse.Telemetry.Tests;

/// <summary>What the Aspire dashboard's trace view would show, checked on what the services really export.</summary>
public sealed class TraceTests
{
    private const string PublishSpan = "aspiresse:ticks publish";
    private const string ProcessSpan = "aspiresse:ticks process";
    private const string ReplaySpan = "aspiresse:ticks replay";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryReplicaRelaysATickInsideThePublishersTrace()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        // One client per replica, so each relay span has a known audience of one.
        var clients = new List<SseTestClient>();
        foreach (var replica in run.Topology.Frontends)
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

        var replicas = run.Topology.Frontends.Select(TelemetryRun.SenderOf).ToList();
        var traces = await run.WaitForAsync(
            r => sequences.Select(s => TickTrace.Find(r, s)).ToList(),
            ts => ts.All(t => t.Publish is not null && replicas.All(replica => t.Processes.Any(p => p.Sender == replica))),
            $"a publish span and a process span from each of {replicas.Count} replicas for ticks {string.Join(", ", sequences)}",
            Cancellation);

        foreach (var trace in traces)
        {
            var publish = trace.Publish!;
            Assert.Equal(TelemetryRun.SenderOf(run.Topology.EventService), publish.Sender);
            Assert.Equal(ReceivedSpanKind.Producer, publish.Kind);
            Assert.Equal(PublishSpan, publish.Name);
            Assert.Equal("redis", publish.StringAttribute("messaging.system"));
            Assert.Equal("aspiresse:ticks", publish.StringAttribute("messaging.destination.name"));

            // Exactly one relay per replica: a second would mean the tick was relayed twice.
            Assert.Equal(replicas.Select(r => r.InstanceId).Order(), trace.Processes.Select(p => p.Sender.InstanceId).Order());
            foreach (var process in trace.Processes)
            {
                Assert.Equal(publish.TraceId, process.TraceId);
                Assert.Equal(publish.SpanId, process.ParentSpanId);
                Assert.Equal(ReceivedSpanKind.Consumer, process.Kind);
                Assert.Equal(ProcessSpan, process.Name);
                Assert.Equal("redis", process.StringAttribute("messaging.system"));
                Assert.Equal("live", process.StringAttribute(SseMetrics.RelaySourceTag));
                Assert.Equal(1, process.LongAttribute(SseTelemetry.RelayClientsTag));
                Assert.Empty(process.Links);
            }

            TestReport.Publish($"telemetry: tick {trace.Sequence} trace {publish.TraceId} spans=1 publish + {trace.Processes.Count} process " +
                $"({string.Join(", ", trace.Processes.Select(p => p.Sender.InstanceId).Order())}), each a child of publish span {publish.SpanId}");
        }
    }

    [Fact]
    public async Task ReplayedAndBackfilledTicksLinkToTheirPublishSpanInsteadOfJoiningIt()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        var (first, second) = (run.Topology.Frontends[0], run.Topology.Frontends[1]);
        var live = await run.ConnectAsync(first, Cancellation);
        var seen = await live.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 10, TelemetryRun.Timeout, Cancellation);
        var ticks = seen.Where(e => e.Type == "tick").ToList();

        // A client resuming on the other replica is sent what it missed from the history stream.
        var resumed = await run.ConnectAsync(second, Cancellation, lastEventId: ticks[2].Id);
        var received = await resumed.WaitUntilAsync(
            e => e.Any(x => x.Type == "tick" && x.Sequence > ticks[^1].Sequence), TelemetryRun.Timeout, Cancellation);
        var replayed = received.Where(e => e.Type == "tick" && e.Json.GetProperty("replayed").GetBoolean()).Select(e => e.Sequence).ToList();
        Assert.Equal(ticks[3].Sequence, replayed[0]);

        var replay = await run.WaitForAsync(
            r => r.Spans.SingleOrDefault(s => s.Name == ReplaySpan && s.Sender == TelemetryRun.SenderOf(second)),
            s => s is not null && replayed.All(seq => TickTrace.Find(run.Receiver, seq).Publish is not null),
            $"the replay span of {second.Name} and the publish spans of ticks {replayed[0]}..{replayed[^1]}", Cancellation);
        Assert.Equal(replayed.Count, replay!.LongAttribute("messaging.batch.message_count"));
        var publishes = replayed.Select(seq => TickTrace.Find(run.Receiver, seq).Publish!).ToList();
        Assert.Equal(publishes.Select(p => (p.TraceId, p.SpanId)), replay.Links);
        Assert.DoesNotContain(replay.TraceId, publishes.Select(p => p.TraceId));
        // The stream was answered below HTTP (a fresh connection): the replay's parent is its opening
        // span, which has ended, and so been exported, while the stream goes on.
        var opening = await run.WaitForAsync(r => r.Spans.SingleOrDefault(s => s.SpanId == replay.ParentSpanId), s => s is not null,
            $"the span that opened the resumed stream on {second.Name}", Cancellation);
        Assert.Equal(("GET /events", ReceivedSpanKind.Server, replay.TraceId), (opening!.Name, opening.Kind, opening.TraceId));
        Assert.Equal("connection", opening.StringAttribute(SseMetrics.StreamPathTag));
        Assert.Equal(200, opening.LongAttribute("http.response.status_code"));
        Assert.False(resumed.Ended, "the stream is still open");
        TestReport.Publish($"telemetry: replay on {second.Name} trace {replay.TraceId} links={replay.Links.Count} " +
            $"to the publish spans of ticks {replayed[0]}..{replayed[^1]} (traces {publishes[0].TraceId}…)");

        // Ticks a replica missed on pub/sub are filled in from history.
        var killed = await SubscriptionGap.CreateAsync(await run.RedisAsync(), second.Freeze, second.Name, ticks: 2, TelemetryRun.Timeout, Cancellation);
        Assert.True(killed >= 2, $"killed {killed} pub/sub connection(s)");

        var backfilled = await run.WaitForAsync(
            r => r.Spans.FirstOrDefault(s => s.Name == ProcessSpan && s.Sender == TelemetryRun.SenderOf(second)
                && s.StringAttribute(SseMetrics.RelaySourceTag) == "backfill"
                && s.LongAttribute(SseTelemetry.SequenceTag) is { } seq && TickTrace.Find(r, seq).Publish is not null),
            s => s is not null, $"{second.Name} to backfill a tick it missed while its subscription was cut", Cancellation);
        var original = TickTrace.Find(run.Receiver, backfilled!.LongAttribute(SseTelemetry.SequenceTag)!.Value).Publish!;
        Assert.Equal([(original.TraceId, original.SpanId)], backfilled.Links);
        Assert.NotEqual(original.TraceId, backfilled.TraceId);
        Assert.Equal("", backfilled.ParentSpanId);
        TestReport.Publish($"telemetry: backfill on {backfilled.Sender.InstanceId} of tick {backfilled.LongAttribute(SseTelemetry.SequenceTag)} " +
            $"trace {backfilled.TraceId} links=1 to publish span {original.SpanId} in trace {original.TraceId}");
    }

    [Fact]
    public async Task ServiceNameAndInstanceIdTellEveryProcessApart()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        ServiceProcess[] processes = [run.Topology.EventService, .. run.Topology.Frontends];
        var expected = processes.Select(TelemetryRun.SenderOf).ToHashSet();

        var senders = await run.WaitForAsync(
            r => r.Spans.Select(s => s.Sender).Concat(r.Metrics.Select(m => m.Sender)).ToHashSet(),
            s => expected.IsSubsetOf(s), $"spans or metrics from each of {string.Join(", ", expected)}", Cancellation);

        Assert.Equal(expected, senders);
        Assert.Equal(3, senders.Select(s => s.InstanceId).Distinct().Count());
        Assert.Equal(["eventservice", "webfrontend"], senders.Select(s => s.ServiceName).Distinct().Order());
        Assert.Empty(run.Receiver.Rejected);
    }
}
