using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;
using StackExchange.Redis;

namespace AspireSse.EventService.Tests;

/// <summary>The real EventService process against a real redis-server.</summary>
public sealed class TickerTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Interval(string interval) => new() { ["Ticks__Interval"] = interval };

    [Fact]
    public async Task PublishesConsecutiveSequenceNumbers()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        await harness.StartEventServiceAsync(Interval("00:00:00.050"), cancellationToken: Cancellation);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();

        await WaitForCounterAsync(redis, 20);

        var ticks = await ReadStreamAsync(redis);
        Assert.True(ticks.Count >= 20);
        Assert.Equal(1, ticks[0].Sequence);
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
    }

    [Fact]
    public async Task CountContinuesAfterTheEventServiceRestarts()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var service = await harness.StartEventServiceAsync(Interval("00:00:00.050"), cancellationToken: Cancellation);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        await WaitForCounterAsync(redis, 10);

        await service.StopAsync(TimeSpan.FromSeconds(10));
        var countAtStop = (long)await redis.StringGetAsync(TickRedisKeys.Counter);
        service.Start();
        await service.WaitHealthyAsync(Eventually.Timeout, Cancellation);
        await WaitForCounterAsync(redis, countAtStop + 10);

        var sequences = (await ReadStreamAsync(redis)).Select(t => t.Sequence).ToList();
        Assert.Equal(1, sequences[0]);
        Assert.Null(TickSequence.FirstBreak(sequences));
        Assert.Contains(countAtStop + 1, sequences);
    }

    [Fact]
    public async Task StreamAndChannelCarryTheSameTicks()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var connection = await harness.ConnectRedisAsync();
        var channel = await connection.GetSubscriber().SubscribeAsync(TickRedisKeys.Channel);
        await harness.StartEventServiceAsync(Interval("00:00:00.050"), cancellationToken: Cancellation);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(Eventually.Timeout);
        var published = new List<string>();
        while (published.Count < 10)
        {
            published.Add((await channel.ReadAsync(deadline.Token)).Message!);
        }

        var stream = (await ReadStreamAsync(connection.GetDatabase())).ToDictionary(t => t.Sequence, t => t.Json);
        foreach (var json in published)
        {
            var tick = JsonSerializer.Deserialize(json, TickJsonContext.Default.Tick)!;
            Assert.Equal(json, stream[tick.Sequence]);
        }

        Assert.Null(TickSequence.FirstBreak([.. published.Select(j => JsonSerializer.Deserialize(j, TickJsonContext.Default.Tick)!.Sequence)]));
    }

    [Fact]
    public async Task TickCarriesItsPublishTimeAndTraceContext()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var before = DateTimeOffset.UtcNow;
        await harness.StartEventServiceAsync(Interval("00:00:00.050"), cancellationToken: Cancellation);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        await WaitForCounterAsync(redis, 3);

        var tick = (await ReadStreamAsync(redis))[0].Tick;
        Assert.InRange(tick.PublishedAt, before, DateTimeOffset.UtcNow);
        // W3C: version-traceid-spanid-flags.
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", tick.TraceParent);
    }

    [Fact]
    public async Task HistoryStreamIsCapped()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        await harness.StartEventServiceAsync(new Dictionary<string, string?>
        {
            ["Ticks__Interval"] = "00:00:00.005",
            ["Ticks__HistoryLength"] = "10",
        }, cancellationToken: Cancellation);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();

        await WaitForCounterAsync(redis, 400);

        // MAXLEN ~ trims whole stream nodes (100 entries each by default), so the length hovers
        // a little above the cap instead of growing with the count.
        Assert.InRange(await redis.StreamLengthAsync(TickRedisKeys.Stream), 10, 250);
    }

    [Fact]
    public async Task SurvivesARedisOutageWithoutACatchUpBurst()
    {
        await using var harness = await ServiceHarness.StartAsync(redisPersistence: true, cancellationToken: Cancellation);
        var service = await harness.StartEventServiceAsync(Interval("00:00:00.100"), cancellationToken: Cancellation);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        await WaitForCounterAsync(redis, 5);

        await harness.Redis.StopAsync(TimeSpan.FromSeconds(10));
        // Readiness notices the outage: publishing really stopped, and the process did not die of it.
        await Eventually.WaitAsync(() => HealthProbe.StatusAsync(service), status => status == 503, Eventually.Timeout,
            "the EventService to report unhealthy while Redis is down", Cancellation);
        Assert.True(service.IsRunning);

        harness.Redis.Start();
        await harness.Redis.WaitReadyAsync(Eventually.Timeout, Cancellation);
        await service.WaitHealthyAsync(Eventually.Timeout, Cancellation);
        var resumedAt = (long)await redis.StringGetAsync(TickRedisKeys.Counter);
        await WaitForCounterAsync(redis, resumedAt + 10);

        var ticks = await ReadStreamAsync(redis);
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
        // After the outage the ticker resumes at its own pace: no burst of queued or skipped-up ticks.
        // A burst leaves ticks a few ms apart; a tick the timer fired late (a busy machine) leaves
        // one short gap after one long one, so the ticks still span their intervals.
        var afterOutage = ticks.Where(t => t.Sequence >= resumedAt).ToList();
        for (var i = 1; i < afterOutage.Count; i++)
        {
            var gap = afterOutage[i].Tick.PublishedAt - afterOutage[i - 1].Tick.PublishedAt;
            Assert.True(gap >= TimeSpan.FromMilliseconds(20), $"ticks {afterOutage[i - 1].Sequence} and {afterOutage[i].Sequence} were {gap.TotalMilliseconds:F0} ms apart");
        }

        var span = afterOutage[^1].Tick.PublishedAt - afterOutage[0].Tick.PublishedAt;
        Assert.True(span >= TimeSpan.FromMilliseconds(100 * (afterOutage.Count - 2)),
            $"{afterOutage.Count} ticks after the outage took {span.TotalMilliseconds:F0} ms, less than their intervals");
    }

    [Fact]
    public async Task WhenRedisComesBackWithOlderDataTheCountStartsAgainInANewEpochInsteadOfReusingIds()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var connection = await harness.ConnectRedisAsync();
        var redis = connection.GetDatabase();
        // Every tick published, by id: an id must never be published with two different contents.
        var published = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var channel = await connection.GetSubscriber().SubscribeAsync(TickRedisKeys.Channel);
        channel.OnMessage(message =>
        {
            var json = (string)message.Message!;
            var tick = JsonSerializer.Deserialize(json, TickJsonContext.Default.Tick)!;
            lock (published)
            {
                Add(published, new TickId(tick.Epoch, tick.Sequence).ToString(), json);
            }
        });
        var service = await harness.StartEventServiceAsync(Interval("00:00:00.050"), cancellationToken: Cancellation);
        var copiedAt = await WaitForCounterAsync(redis, 10);
        var epoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;
        using var older = RedisDataCopy.Take(harness.Redis.DataDirectory);
        var releasedBefore = await WaitForCounterAsync(redis, copiedAt + 20);

        await harness.Redis.RestartFromAsync(older, Eventually.Timeout, Cancellation);

        var newEpoch = await Eventually.WaitAsync(async () => (string?)await redis.StringGetAsync(TickRedisKeys.Epoch),
            e => e is not null && e != epoch, Eventually.Timeout, $"a new epoch after Redis came back behind {epoch}-{releasedBefore}", Cancellation);
        await WaitForCounterAsync(redis, 10);
        var ticks = await ReadStreamAsync(redis);
        Assert.All(ticks, t => Assert.Equal(newEpoch, t.Tick.Epoch));
        Assert.Equal(1, ticks[0].Sequence);
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
        lock (published)
        {
            foreach (var tick in ticks)
            {
                Add(published, new TickId(tick.Tick.Epoch, tick.Sequence).ToString(), tick.Json);
            }

            Assert.Empty(published.Where(p => p.Value.Count > 1).Select(p => p.Key));
        }

        Assert.Contains("Redis came back with older data", service.RecentOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidIntervalStopsStartupWithAClearMessage()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var service = harness.CreateEventService(Interval("00:00:00"));

        service.Start();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(Eventually.Timeout);
        await service.WaitForExitAsync(deadline.Token);

        Assert.Contains("Ticks:Interval must be between 1 ms and 1 hour", service.RecentOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConnectionStringIsNamedInTheError()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var service = harness.CreateEventService(new Dictionary<string, string?> { ["ConnectionStrings__redis"] = "" });

        service.Start();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(Eventually.Timeout);
        await service.WaitForExitAsync(deadline.Token);

        Assert.Contains("ConnectionStrings:redis is not set", service.RecentOutput, StringComparison.Ordinal);
    }

    private static void Add(Dictionary<string, HashSet<string>> published, string id, string json)
    {
        if (!published.TryGetValue(id, out var contents))
        {
            published[id] = contents = new HashSet<string>(StringComparer.Ordinal);
        }

        contents.Add(json);
    }

    private sealed record StoredTick(long Sequence, string Json, Tick Tick);

    private static async Task<List<StoredTick>> ReadStreamAsync(IDatabase redis)
    {
        var entries = await redis.StreamRangeAsync(TickRedisKeys.Stream);
        return [.. entries.Select(e =>
        {
            var json = (string)e[TickRedisKeys.StreamField]!;
            var tick = JsonSerializer.Deserialize(json, TickJsonContext.Default.Tick)!;
            // The entry id is the sequence, so a resume can XRANGE straight from a client's last id.
            Assert.Equal($"{tick.Sequence}-0", (string)e.Id!);
            return new StoredTick(tick.Sequence, json, tick);
        })];
    }

    private static Task<long> WaitForCounterAsync(IDatabase redis, long atLeast) =>
        Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Counter), c => c >= atLeast,
            Eventually.Timeout, $"the counter to reach {atLeast}", Cancellation);
}
