using System.Diagnostics.Metrics;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Tests;

/// <summary>The window of recent ticks a replica replays from, fed as the broadcaster feeds it.</summary>
public sealed class RecentTicksTests
{
    private const string Epoch = "e1";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider()
        .GetRequiredService<IMeterFactory>();

    [Fact]
    public void EveryTickUpToAConnectingClientsStartIsInTheWindowAndNothingAfterIt()
    {
        var (broadcaster, recent) = Create(capacity: 16);
        PublishRange(broadcaster, 1, 10);

        var client = broadcaster.Connect();

        Assert.All(Enumerable.Range(1, (int)client.StartSequence), s => Assert.Equal(s, recent.Find(Epoch, s)?.Tick.Sequence));
        Assert.Null(recent.Find(Epoch, client.StartSequence + 1));
        broadcaster.Leave(client);
    }

    [Fact]
    public void TicksOlderThanTheCapacityAreEvictedAndTheNewestStay()
    {
        var (broadcaster, recent) = Create(capacity: 8);
        PublishRange(broadcaster, 1, 20);

        Assert.All(Enumerable.Range(1, 12), s => Assert.Null(recent.Find(Epoch, s)));
        Assert.All(Enumerable.Range(13, 8), s => Assert.NotNull(recent.Find(Epoch, s)));
    }

    [Fact]
    public void ATickOfAnotherEpochIsNeverFound()
    {
        var (broadcaster, recent) = Create(capacity: 8);
        PublishRange(broadcaster, 1, 5);

        Assert.Null(recent.Find("e0", 3));
        Assert.NotNull(recent.Find(Epoch, 3));
    }

    [Fact]
    public void ANewEpochEmptiesTheWindowAndItFillsAgainFromTheNewNumbering()
    {
        var (broadcaster, recent) = Create(capacity: 8);
        PublishRange(broadcaster, 1, 5);

        broadcaster.StartEpoch("e2", 0);

        Assert.All(Enumerable.Range(1, 5), s => Assert.Null(recent.Find(Epoch, s)));
        broadcaster.Publish(new Tick("e2", 1, DateTimeOffset.UtcNow));
        Assert.NotNull(recent.Find("e2", 1));
    }

    [Fact]
    public void AGapEmptiesTheWindowSoItNeverServesARangeWithAHoleInIt()
    {
        var (broadcaster, recent) = Create(capacity: 16);
        PublishRange(broadcaster, 1, 5);

        // Ticks 6 to 8 never reached this replica (a gap longer than the history could fill).
        broadcaster.Publish(TickAt(9));

        Assert.All(Enumerable.Range(1, 5), s => Assert.Null(recent.Find(Epoch, s)));
        Assert.NotNull(recent.Find(Epoch, 9));
    }

    [Fact]
    public void APositionSetFromRedisEmptiesTheWindow()
    {
        var (broadcaster, recent) = Create(capacity: 16);
        PublishRange(broadcaster, 1, 5);

        broadcaster.Initialize(Epoch, 100);

        Assert.Null(recent.Find(Epoch, 5));
    }

    [Fact]
    public void AWindowOfZeroTicksKeepsNothing()
    {
        var (broadcaster, recent) = Create(capacity: 0);
        PublishRange(broadcaster, 1, 5);

        Assert.Equal(0, recent.Capacity);
        Assert.All(Enumerable.Range(1, 5), s => Assert.Null(recent.Find(Epoch, s)));
    }

    [Fact]
    public void AKeptTicksReplayFrameIsMarkedReplayedAndSharedByEveryClientThatReplaysIt()
    {
        var (broadcaster, recent) = Create(capacity: 8);
        var events = Events(8);
        PublishRange(broadcaster, 1, 3);

        var kept = recent.Find(Epoch, 2)!;
        var frame = kept.Replayed(events);

        Assert.Same(frame, kept.Replayed(events));
        var tick = Assert.Single(System.Net.ServerSentEvents.SseParser.Create(new MemoryStream(frame.Frame)).Enumerate());
        Assert.Equal($"{Epoch}-2", tick.EventId);
        Assert.True(JsonDocument.Parse(tick.Data).RootElement.GetProperty("replayed").GetBoolean());
    }

    [Fact]
    public async Task ReadersRacingTheWriterGetTheTickTheyAskedForOrNothing()
    {
        var (broadcaster, recent) = Create(capacity: 4);
        const int Ticks = 50_000;
        var wrong = 0;
        var found = 0;
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var newest = broadcaster.LastSequence;
                for (var s = Math.Max(1, newest - 4); s <= newest; s++)
                {
                    if (recent.Find(Epoch, s) is { } kept)
                    {
                        Interlocked.Increment(ref found);
                        if (kept.Tick.Sequence != s || kept.Tick.Epoch != Epoch)
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                }
            }
        }, TestContext.Current.CancellationToken)).ToList();

        // Writes until the readers, however late they were scheduled, have raced it for a while.
        using var deadline = new CancellationTokenSource(Timeout);
        await Task.Run(() =>
        {
            for (var s = 1L; !deadline.IsCancellationRequested && (s <= Ticks || Volatile.Read(ref found) < 1000); s++)
            {
                broadcaster.Publish(TickAt(s));
            }
        }, TestContext.Current.CancellationToken);
        await done.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(0, wrong);
        Assert.True(found >= 1000, $"the readers found {found} ticks while the writer ran");
    }

    private static void PublishRange(TickBroadcaster broadcaster, long from, long to)
    {
        for (var s = from; s <= to; s++)
        {
            broadcaster.Publish(TickAt(s));
        }
    }

    private static Tick TickAt(long sequence) => new(Epoch, sequence, DateTimeOffset.UtcNow);

    private static TickEvents Events(int capacity)
    {
        var options = Options.Create(new TickStreamOptions { RecentTicks = capacity });
        return new TickEvents(new ReplicaIdentity("replica-under-test"), options);
    }

    private static (TickBroadcaster Broadcaster, RecentTicks Recent) Create(int capacity)
    {
        var options = Options.Create(new TickStreamOptions { RecentTicks = capacity });
        var recent = new RecentTicks(options);
        var broadcaster = new TickBroadcaster(new TickEvents(new ReplicaIdentity("replica-under-test"), options), recent, options,
            new RelayMetrics(Meters), NullLogger<TickBroadcaster>.Instance);
        broadcaster.Initialize(Epoch, 0);
        return (broadcaster, recent);
    }
}
