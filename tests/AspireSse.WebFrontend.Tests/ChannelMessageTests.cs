using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// Messages on the tick channel that no EventService published, next to the real EventService
/// ticking: anyone who can publish on the channel can send them. The replica's subscriber is the
/// same whichever way its streams are written, so these run with the default (fast path on).
/// </summary>
public sealed class ChannelMessageTests
{
    private static readonly HttpClient Http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    // Ticks every 50 ms: a forged tick numbered this far ahead arrives well before the real one.
    private const long Ahead = 50;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static readonly TheoryData<string, string> Forgeries = new()
    {
        { "a sequence beyond the largest", $"its sequence 999999999999999999 is not between 1 and {TickId.MaxSequence}" },
        { "an epoch with a line break", "its epoch is not 1 to 32 ASCII letters and digits" },
        { "another epoch", "Redis's epoch is " },
        { "not JSON of a tick", "it is not a tick" },
        { "no publish time", "it has no publishedAt" },
        { "a publish time next year", "hours ahead of this replica's clock" },
        { "a sequence Redis has not released", "the history stream in Redis does not hold it" },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task AMessageRedisDoesNotBackIsLoggedAndSkippedWhileClientsKeepGettingConsecutiveTicksWithoutAReset(string forgery,
        string logged)
    {
        await using var harness = await StartAsync();
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        await client.WaitForTicksAsync(1, Eventually.Timeout, Cancellation);
        var redis = await harness.ConnectRedisAsync();
        var (epoch, counter) = await PositionAsync(harness);

        Assert.Equal(1, await redis.GetSubscriber().PublishAsync(TickRedisKeys.Channel, Forge(forgery, epoch, counter + Ahead)));

        await AssertUnmovedAsync(frontend, harness, client, epoch, counter + Ahead + 10);
        await Eventually.WaitAsync(() => Task.FromResult(frontend.RecentOutput),
            o => o.Split('\n').Any(l => l.Contains("Skipped a message on the tick channel: ", StringComparison.Ordinal)
                && l.Contains(logged, StringComparison.Ordinal)), Eventually.Timeout,
            $"the frontend to log that it skipped {forgery}", Cancellation);
    }

    [Fact]
    public async Task AFloodOfForgedTicksLogsOnlyAtEachDoublingAndMovesNothing()
    {
        const int Forged = 300;
        await using var harness = await StartAsync();
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        await client.WaitForTicksAsync(1, Eventually.Timeout, Cancellation);
        var subscriber = (await harness.ConnectRedisAsync()).GetSubscriber();
        var (epoch, counter) = await PositionAsync(harness);

        // Each well formed and ahead, so the replica must ask Redis about every one.
        await Task.WhenAll(Enumerable.Range(0, Forged).Select(i =>
            subscriber.PublishAsync(TickRedisKeys.Channel, Forge("a sequence Redis has not released", epoch, counter + Ahead + i))));

        await AssertUnmovedAsync(frontend, harness, client, epoch, counter + Ahead + 10);
        var output = await Eventually.WaitAsync(() => Task.FromResult(frontend.RecentOutput),
            o => o.Contains("(256 so far)", StringComparison.Ordinal), Eventually.Timeout, "the 256th skipped message to be logged", Cancellation);
        // The 1st, 2nd, 4th … 256th: nine lines for 300 messages.
        Assert.Equal(9, output.Split('\n').Count(l => l.Contains("Skipped a message on the tick channel", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The client got every tick up to <paramref name="through"/>, consecutively, of the real epoch and
    /// without a reset, and the replica's position is one Redis released.
    /// </summary>
    private static async Task AssertUnmovedAsync(ServiceProcess frontend, ServiceHarness harness, SseTestClient client, string epoch,
        long through)
    {
        var events = await client.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && t.Sequence >= through), Eventually.Timeout, Cancellation);
        var ticks = events.Where(e => e.Type == "tick").ToList();
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
        Assert.DoesNotContain(events, e => e.Type == "reset");
        Assert.All(ticks, t => Assert.Equal(epoch, t.Json.GetProperty("epoch").GetString()));

        var stats = await StreamPath.StatsAsync(frontend, Cancellation);
        var (_, counter) = await PositionAsync(harness);
        Assert.Equal(epoch, stats.GetProperty("epoch").GetString());
        Assert.InRange(stats.GetProperty("lastSequence").GetInt64(), through, counter);
    }

    private static string Forge(string forgery, string epoch, long sequence)
    {
        var now = DateTimeOffset.UtcNow;
        return forgery switch
        {
            "a sequence beyond the largest" => Tick(epoch, 999_999_999_999_999_999, now),
            "an epoch with a line break" => Tick("ab\ncd", sequence, now),
            "another epoch" => Tick("deadbeef", sequence, now),
            "not JSON of a tick" => "[1, 2, 3]",
            "no publish time" => JsonSerializer.Serialize(new { epoch, sequence }),
            "a publish time next year" => Tick(epoch, sequence, now.AddYears(1)),
            "a sequence Redis has not released" => Tick(epoch, sequence, now),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery), forgery, null),
        };

        static string Tick(string epoch, long sequence, DateTimeOffset publishedAt) =>
            JsonSerializer.Serialize(new { epoch, sequence, publishedAt });
    }

    private static async Task<(string Epoch, long Counter)> PositionAsync(ServiceHarness harness)
    {
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        return ((string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!, (long)await redis.StringGetAsync(TickRedisKeys.Counter));
    }

    private static Task<ServiceHarness> StartAsync() =>
        ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.050" },
            new Dictionary<string, string?>(),
            Cancellation);
}
