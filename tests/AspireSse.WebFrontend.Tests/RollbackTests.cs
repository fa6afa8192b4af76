using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>Redis coming back with older data than the relay has relayed, against the real processes.</summary>
public sealed class RollbackTests
{
    private static readonly HttpClient Http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WhenRedisComesBackOlderAndTheEventServiceRemembersNothingTheRelayStartsANewEpochAndItsClientsGetAReset()
    {
        await using var harness = await ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.050" }, new Dictionary<string, string?>(), Cancellation);
        var (eventService, frontend) = (harness.Services[0], harness.Services[1]);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        await client.WaitForTicksAsync(10, Eventually.Timeout, Cancellation);
        var epoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;
        using var older = RedisDataCopy.Take(harness.Redis.DataDirectory);
        var copiedAt = (long)await redis.StringGetAsync(TickRedisKeys.Counter);
        await client.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && t.Sequence >= copiedAt + 20), Eventually.Timeout, Cancellation);

        // Only the relay now knows which ticks were released: a new EventService process numbers on
        // from what the older data says.
        await eventService.KillAsync();
        await harness.Redis.RestartFromAsync(older, Eventually.Timeout, Cancellation);
        eventService.Start();

        var events = await client.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && t.Epoch != epoch && t.Sequence >= 5),
            Eventually.Timeout, Cancellation);
        var reset = Assert.Single(events, e => e.Type == "reset");
        Assert.Equal("epoch", reset.Json.GetProperty("reason").GetString());
        Assert.NotEqual(epoch, reset.Epoch);
        var report = DeliveryReport.For([events]);
        Assert.Equal((0L, 0L, 0L), (report.Lost, report.Duplicated, report.Reordered));
        Assert.Contains("Redis came back with older data", frontend.RecentOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForgedTicksThatReuseAnIdCannotMakeTheRelayRetireTheEpoch()
    {
        // A tick a second leaves room to publish before the EventService does.
        await using var harness = await ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:01" }, new Dictionary<string, string?>(), Cancellation);
        var frontend = harness.Services[1];
        var connection = await harness.ConnectRedisAsync();
        var redis = connection.GetDatabase();
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        var last = (await client.WaitForTicksAsync(1, Eventually.Timeout, Cancellation)).Last(e => e.Type == "tick");
        var epoch = last.Epoch!;

        // The next id, ahead of the EventService (relayed unchecked, as the next tick always is), then
        // the same id again with other content: a stale tick that Redis holds nowhere.
        foreach (var at in new[] { DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(-2) })
        {
            var forged = JsonSerializer.Serialize(new Tick(epoch, last.Sequence + 1, at), TickJsonContext.Default.Tick);
            await connection.GetSubscriber().PublishAsync(TickRedisKeys.Channel, forged);
        }

        var events = await client.WaitUntilAsync(e => e.Count(t => t.Type == "tick") >= 5, Eventually.Timeout, Cancellation);
        Assert.DoesNotContain(events, e => e.Type == "reset");
        Assert.Equal(epoch, (string?)await redis.StringGetAsync(TickRedisKeys.Epoch));
        Assert.Null(TickSequence.FirstBreak([.. events.Where(e => e.Type == "tick").Select(e => e.Sequence)]));
    }
}
