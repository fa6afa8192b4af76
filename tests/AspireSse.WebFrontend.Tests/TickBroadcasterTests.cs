using System.Net.ServerSentEvents;
using System.Text.Json;
using AspireSse.ServiceDefaults.Ticks;
using AspireSse.WebFrontend.Relay;
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
            Assert.Equal(TickBroadcaster.HelloEvent, events[0].EventType);
            Assert.Equal(Enumerable.Range(1, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                events.Skip(1).Select(e => e.EventId));
            Assert.All(events.Skip(1), e => Assert.Equal(TickBroadcaster.TickEvent, e.EventType));
        }
    }

    [Fact]
    public void HelloNamesTheSequenceAfterWhichTicksBegin()
    {
        var broadcaster = CreateBroadcaster();
        broadcaster.Publish(TickAt(1));
        broadcaster.Publish(TickAt(2));
        broadcaster.Publish(TickAt(3));

        using var client = broadcaster.Connect();
        broadcaster.Publish(TickAt(4));

        var events = Drain(client);
        var hello = JsonDocument.Parse(events[0].Data).RootElement;
        Assert.Equal(3, hello.GetProperty("sequence").GetInt64());
        Assert.Equal("replica-under-test", hello.GetProperty("replica").GetString());
        Assert.Equal(["4"], events.Skip(1).Select(e => e.EventId));
    }

    [Fact]
    public void TickCarriesItsSequenceTimestampAndRelayingReplica()
    {
        var broadcaster = CreateBroadcaster();
        using var client = broadcaster.Connect();
        var publishedAt = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

        broadcaster.Publish(new Tick(42, publishedAt));

        var tick = JsonDocument.Parse(Drain(client)[1].Data).RootElement;
        Assert.Equal(42, tick.GetProperty("sequence").GetInt64());
        Assert.Equal(publishedAt, tick.GetProperty("publishedAt").GetDateTimeOffset());
        Assert.Equal("replica-under-test", tick.GetProperty("replica").GetString());
    }

    [Fact]
    public void RepeatedOrOlderTicksAreNotRelayedTwice()
    {
        var broadcaster = CreateBroadcaster();
        using var client = broadcaster.Connect();

        foreach (var sequence in new long[] { 1, 2, 2, 1, 3 })
        {
            broadcaster.Publish(TickAt(sequence));
        }

        Assert.Equal(["1", "2", "3"], Drain(client).Skip(1).Select(e => e.EventId));
    }

    [Fact]
    public async Task StalledClientIsCutWithoutDelayingOthers()
    {
        const int capacity = 8;
        var broadcaster = CreateBroadcaster(capacity);
        var stalled = broadcaster.Connect();
        using var healthy = broadcaster.Connect();
        Assert.True(healthy.Events.TryRead(out _)); // its hello

        for (var sequence = 1; sequence <= 50; sequence++)
        {
            broadcaster.Publish(TickAt(sequence));

            // The healthy client has each tick as soon as it is published, whatever the stalled one does.
            using var timeout = new CancellationTokenSource(Timeout);
            var item = await healthy.Events.ReadAsync(timeout.Token);
            Assert.Equal(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), item.EventId);

            Assert.True(stalled.Events.Count <= capacity, $"stalled queue grew to {stalled.Events.Count}");
        }

        Assert.True(stalled.WasCut);
        Assert.True(stalled.Cut.IsCancellationRequested);
        Assert.Equal(1, broadcaster.ClientCount);
        stalled.Dispose();
    }

    [Fact]
    public void DisconnectedClientStopsReceiving()
    {
        var broadcaster = CreateBroadcaster();
        var client = broadcaster.Connect();
        client.Dispose();

        Assert.Equal(0, broadcaster.Publish(TickAt(1)));
        Assert.Equal(0, broadcaster.ClientCount);
    }

    [Fact]
    public void HeartbeatReachesEveryClientWithoutAnId()
    {
        var broadcaster = CreateBroadcaster();
        using var first = broadcaster.Connect();
        using var second = broadcaster.Connect();

        broadcaster.Heartbeat();

        foreach (var client in new[] { first, second })
        {
            var heartbeat = Drain(client)[1];
            Assert.Equal(TickBroadcaster.HeartbeatEvent, heartbeat.EventType);
            // An id here would move the browser's Last-Event-ID off the last tick.
            Assert.Null(heartbeat.EventId);
        }
    }

    private static TickBroadcaster CreateBroadcaster(int capacity = 64) =>
        new(new ReplicaIdentity("replica-under-test"),
            Options.Create(new TickStreamOptions { ClientQueueCapacity = capacity }),
            NullLogger<TickBroadcaster>.Instance);

    private static Tick TickAt(long sequence) => new(sequence, DateTimeOffset.UtcNow);

    private static List<SseItem<string>> Drain(TickClient client)
    {
        var items = new List<SseItem<string>>();
        while (client.Events.TryRead(out var item))
        {
            items.Add(item);
        }

        return items;
    }
}
