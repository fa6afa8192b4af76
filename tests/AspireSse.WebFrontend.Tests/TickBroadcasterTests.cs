using System.Diagnostics.Metrics;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Tests;

public sealed class TickBroadcasterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void EveryClientGetsEveryTickInOrder()
    {
        var broadcaster = CreateBroadcaster(capacity: 256);
        var clients = Enumerable.Range(0, 5).Select(_ => broadcaster.Connect()).ToList();

        for (var sequence = 1; sequence <= 100; sequence++)
        {
            Assert.Equal(5, broadcaster.Publish(TickAt(sequence)));
        }

        foreach (var client in clients)
        {
            var events = Drain(client);
            Assert.Equal(TickEvents.HelloEvent, events[0].EventType);
            Assert.Equal(Enumerable.Range(1, 100).Select(i => $"{Epoch}-{i}"),
                events.Skip(1).Select(e => e.EventId));
            Assert.All(events.Skip(1), e => Assert.Equal(TickEvents.TickEvent, e.EventType));
        }
    }

    [Fact]
    public void HelloNamesTheSequenceAfterWhichTicksBegin()
    {
        var broadcaster = CreateBroadcaster();
        broadcaster.Publish(TickAt(1));
        broadcaster.Publish(TickAt(2));
        broadcaster.Publish(TickAt(3));

        var client = broadcaster.Connect();
        broadcaster.Publish(TickAt(4));

        var events = Drain(client);
        var hello = JsonDocument.Parse(events[0].Data).RootElement;
        Assert.Equal(3, hello.GetProperty("sequence").GetInt64());
        Assert.Equal("replica-under-test", hello.GetProperty("replica").GetString());
        Assert.Equal(["e1-4"], events.Skip(1).Select(e => e.EventId));
    }

    [Fact]
    public void TickCarriesItsSequenceTimestampAndRelayingReplica()
    {
        var broadcaster = CreateBroadcaster();
        var client = broadcaster.Connect();
        var publishedAt = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

        broadcaster.Publish(new Tick(Epoch, 42, publishedAt));

        var tick = JsonDocument.Parse(Drain(client)[1].Data).RootElement;
        Assert.Equal(42, tick.GetProperty("sequence").GetInt64());
        Assert.Equal(Epoch, tick.GetProperty("epoch").GetString());
        Assert.Equal(publishedAt, tick.GetProperty("publishedAt").GetDateTimeOffset());
        Assert.Equal("replica-under-test", tick.GetProperty("replica").GetString());
    }

    [Fact]
    public void RepeatedOrOlderTicksAreNotRelayedTwice()
    {
        var broadcaster = CreateBroadcaster();
        var client = broadcaster.Connect();

        foreach (var sequence in new long[] { 1, 2, 2, 1, 3 })
        {
            broadcaster.Publish(TickAt(sequence));
        }

        Assert.Equal(["e1-1", "e1-2", "e1-3"], Drain(client).Skip(1).Select(e => e.EventId));
    }

    [Fact]
    public async Task StalledClientIsCutWithoutDelayingOthers()
    {
        const int capacity = 8;
        var broadcaster = CreateBroadcaster(capacity);
        var stalled = broadcaster.Connect();
        var aborts = 0;
        stalled.OnCut(_ => aborts++, null);
        var healthy = broadcaster.Connect();
        Assert.True(healthy.TryRead(out _)); // its hello

        for (var sequence = 1; sequence <= 50; sequence++)
        {
            broadcaster.Publish(TickAt(sequence));

            // The healthy client has each tick as soon as it is published, whatever the stalled one does.
            using var timeout = new CancellationTokenSource(Timeout);
            Assert.True(await healthy.WaitToReadAsync().AsTask().WaitAsync(timeout.Token));
            Assert.True(healthy.TryRead(out var item));
            Assert.Equal($"{Epoch}-{sequence}", Parse(item).EventId);

            Assert.True(stalled.QueuedCount <= capacity, $"stalled queue grew to {stalled.QueuedCount}");
        }

        Assert.True(stalled.WasCut);
        // Its connection was aborted, once.
        Assert.Equal(1, aborts);
        Assert.Equal(1, broadcaster.ClientCount);
        broadcaster.Leave(stalled);
    }

    [Fact]
    public void ClientGaugeCountsEveryClientOnceThroughCutAndDisconnect()
    {
        using var meters = new MeterRecorder();
        var broadcaster = CreateBroadcaster(capacity: 4, meters.Factory);
        var stalled = broadcaster.Connect();
        var healthy = broadcaster.Connect();
        Assert.Equal(2, meters.Sum(SseMetrics.ConnectedClients));

        for (var sequence = 1; sequence <= 10; sequence++)
        {
            broadcaster.Publish(TickAt(sequence));
            while (healthy.TryRead(out _))
            {
            }
        }

        Assert.True(stalled.WasCut);
        Assert.Equal(1, meters.Sum(SseMetrics.SlowClientsCut));
        Assert.Equal(1, meters.Sum(SseMetrics.ConnectedClients));

        // The cut client's request ends afterwards; it must not be subtracted a second time.
        broadcaster.Leave(stalled);
        Assert.Equal(1, meters.Sum(SseMetrics.ConnectedClients));
        broadcaster.Leave(healthy);
        Assert.Equal(0, meters.Sum(SseMetrics.ConnectedClients));
    }

    [Fact]
    public void DisconnectedClientStopsReceiving()
    {
        var broadcaster = CreateBroadcaster();
        var client = broadcaster.Connect();
        broadcaster.Leave(client);

        Assert.Equal(0, broadcaster.Publish(TickAt(1)));
        Assert.Equal(0, broadcaster.ClientCount);
    }

    [Fact]
    public void HeartbeatReachesEveryClientWithoutAnId()
    {
        var broadcaster = CreateBroadcaster();
        var first = broadcaster.Connect();
        var second = broadcaster.Connect();

        broadcaster.Heartbeat();

        foreach (var client in new[] { first, second })
        {
            var heartbeat = Drain(client)[1];
            Assert.Equal(TickEvents.HeartbeatEvent, heartbeat.EventType);
            // An id here would move the browser's Last-Event-ID off the last tick.
            Assert.Null(heartbeat.EventId);
        }
    }

    private const string Epoch = "e1";

    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider()
        .GetRequiredService<IMeterFactory>();

    private static TickBroadcaster CreateBroadcaster(int capacity = 64, IMeterFactory? meters = null)
    {
        var options = Options.Create(new TickStreamOptions { ClientQueueCapacity = capacity });
        var broadcaster = new TickBroadcaster(new TickEvents(new ReplicaIdentity("replica-under-test"), options), new RecentTicks(options), options,
            new RelayMetrics(meters ?? Meters),
            NullLogger<TickBroadcaster>.Instance);
        broadcaster.Initialize(Epoch, 0);
        return broadcaster;
    }

    private static Tick TickAt(long sequence) => new(Epoch, sequence, DateTimeOffset.UtcNow);

    private static List<System.Net.ServerSentEvents.SseItem<string>> Drain(TickClient client)
    {
        var items = new List<System.Net.ServerSentEvents.SseItem<string>>();
        while (client.TryRead(out var item))
        {
            items.Add(Parse(item));
        }

        return items;
    }

    [Fact]
    public void NewEpochSendsEveryClientAResetAndRestartsNumbering()
    {
        var broadcaster = CreateBroadcaster();
        broadcaster.Publish(TickAt(1));
        broadcaster.Publish(TickAt(2));
        var client = broadcaster.Connect();

        broadcaster.StartEpoch("e2", 0);
        broadcaster.Publish(new Tick("e2", 1, DateTimeOffset.UtcNow));

        var events = Drain(client);
        Assert.Equal(["hello", "reset", "tick"], events.Select(e => e.EventType));
        var reset = JsonDocument.Parse(events[1].Data).RootElement;
        Assert.Equal("e2", reset.GetProperty("epoch").GetString());
        Assert.Equal(1, reset.GetProperty("oldest").GetInt64());
        Assert.Equal("e2-1", events[2].EventId);
    }

    [Fact]
    public void DrainAsksEveryClientToReconnectSoonAndEndsTheirStreams()
    {
        var broadcaster = CreateBroadcaster();
        var client = broadcaster.Connect();
        broadcaster.Publish(TickAt(1));

        broadcaster.Drain();

        var events = Drain(client);
        Assert.Equal(["hello", "tick", "drain"], events.Select(e => e.EventType));
        Assert.InRange(events[2].ReconnectionInterval!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.True(client.IsCompleted);
        Assert.True(broadcaster.IsDraining);
    }

    // Reads the frame back as a browser would, so these tests also check the bytes on the wire.
    private static System.Net.ServerSentEvents.SseItem<string> Parse(RelayItem item) =>
        Assert.Single(System.Net.ServerSentEvents.SseParser.Create(new MemoryStream(item.Frame)).Enumerate());
}
