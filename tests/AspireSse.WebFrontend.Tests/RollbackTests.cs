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
}
