using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>Resuming with Last-Event-ID or ?lastEventId=, against the real processes.</summary>
public sealed class ResumeTests
{
    private static readonly HttpClient Http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(StreamPath.Connection)]
    [InlineData(StreamPath.Socket)]
    [InlineData(StreamPath.Pipe)]
    [InlineData(StreamPath.Plain)]
    public async Task ResumeReplaysMissedTicksThenContinuesLiveWithoutGap(string path)
    {
        await using var harness = await StartAsync(extra: StreamPath.Settings(path));
        var frontend = harness.Services[^1];
        string lastId;
        await using (var first = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation))
        {
            lastId = (await first.WaitForTicksAsync(3, Eventually.Timeout, Cancellation)).Last(e => e.Type == "tick").Id!;
        }

        var last = long.Parse(lastId[(lastId.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        await Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Counter), c => c >= last + 20,
            Eventually.Timeout, "20 ticks to pass while disconnected", Cancellation);

        var openedBefore = await StreamPath.OpenedAsync(frontend, Cancellation);
        using var http = await StreamPath.ClientAsync(path, frontend, Cancellation);
        await using var resumed = await SseTestClient.ConnectAsync(http, Events(frontend), Cancellation, lastEventId: lastId);
        var counterAtResume = (long)await redis.StringGetAsync(TickRedisKeys.Counter);
        var events = await resumed.WaitUntilAsync(
            e => e.Any(t => t.Type == "tick" && t.Sequence > counterAtResume + 5), Eventually.Timeout, Cancellation);

        var ticks = events.Where(e => e.Type == "tick").ToList();
        Assert.Equal(last + 1, ticks[0].Sequence);
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
        Assert.True(ticks[0].Json.GetProperty("replayed").GetBoolean(), "missed ticks are marked as replayed");
        // The replica relayed every tick the client missed, so it replayed them from memory.
        var replays = (await StreamPath.StatsAsync(frontend, Cancellation)).GetProperty("replays");
        Assert.Equal((1, 0), (replays.GetProperty("window").GetInt64(), replays.GetProperty("history").GetInt64()));
        Assert.False(ticks[^1].Json.GetProperty("replayed").GetBoolean(), "then the stream is live");
        Assert.Equal(openedBefore[StreamPath.Counted(path)] + 1, (await StreamPath.OpenedAsync(frontend, Cancellation))[StreamPath.Counted(path)]);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task TicksMissingFromHistoryDuringAReplayAreAnnouncedWithAReset(FastPathMode fastPath)
    {
        // The replica's recent ticks would still hold what is deleted below: this is about the history stream.
        await using var harness = await StartAsync(fastPath, extra: HistoryOnly);
        var frontend = harness.Services[^1];
        var (epoch, _) = await PositionAsync(harness, atLeast: 20);
        // As if trimming had overtaken the replay: ticks 8 to 10 are gone from the stream.
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        Assert.Equal(3, await redis.StreamDeleteAsync(TickRedisKeys.Stream, ["8-0", "9-0", "10-0"]));

        await using var client = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation, lastEventId: $"{epoch}-5");
        var events = await client.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && t.Sequence >= 12), Eventually.Timeout, Cancellation);

        Assert.Equal(["hello", "tick", "tick", "reset", "tick", "tick"], events.Take(6).Select(e => e.Type));
        Assert.Equal([6L, 7L], events.Skip(1).Take(2).Select(e => e.Sequence));
        var reset = events[3].Json;
        Assert.Equal("history", reset.GetProperty("reason").GetString());
        Assert.Equal(11, reset.GetProperty("oldest").GetInt64());
        Assert.Equal([11L, 12L], events.Skip(4).Take(2).Select(e => e.Sequence));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task AResumeFromFurtherBackThanTheRecentTicksIsReplayedFromTheHistoryStream(FastPathMode fastPath)
    {
        await using var harness = await StartAsync(fastPath, extra: new() { ["TickStream__RecentTicks"] = "4" });
        var frontend = harness.Services[^1];
        var (epoch, _) = await PositionAsync(harness, atLeast: 20);

        await using var client = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation, lastEventId: $"{epoch}-3");
        var ticks = (await client.WaitForTicksAsync(20, Eventually.Timeout, Cancellation)).Where(e => e.Type == "tick").ToList();

        Assert.Equal(4, ticks[0].Sequence);
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
        var replays = (await StreamPath.StatsAsync(frontend, Cancellation)).GetProperty("replays");
        Assert.Equal((0, 1), (replays.GetProperty("window").GetInt64(), replays.GetProperty("history").GetInt64()));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task QueryParameterResumesAFirstConnection(FastPathMode fastPath)
    {
        await using var harness = await StartAsync(fastPath);
        var frontend = harness.Services[^1];
        var (epoch, _) = await PositionAsync(harness, atLeast: 10);

        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, $"/events?lastEventId={epoch}-3"), Cancellation);
        var ticks = (await client.WaitForTicksAsync(10, Eventually.Timeout, Cancellation)).Where(e => e.Type == "tick").ToList();

        Assert.Equal(4, ticks[0].Sequence);
        Assert.Null(TickSequence.FirstBreak([.. ticks.Select(t => t.Sequence)]));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task IdOlderThanTheRetainedHistoryGetsAResetAndContinuesFromTheOldest(FastPathMode fastPath)
    {
        // Recent ticks the replica kept would outlast the history trimmed to 10 (and be replayed).
        await using var harness = await StartAsync(fastPath, historyLength: "10", interval: "00:00:00.005", extra: HistoryOnly);
        var frontend = harness.Services[^1];
        var (epoch, _) = await PositionAsync(harness, atLeast: 400);

        await using var client = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation, lastEventId: $"{epoch}-1");
        var events = await client.WaitForTicksAsync(5, Eventually.Timeout, Cancellation);

        Assert.Equal(["hello", "reset"], events.Take(2).Select(e => e.Type));
        var reset = events[1].Json;
        Assert.Equal("history", reset.GetProperty("reason").GetString());
        var oldest = reset.GetProperty("oldest").GetInt64();
        Assert.True(oldest > 2, $"oldest retained is {oldest}");
        var ticks = events.Where(e => e.Type == "tick").Select(e => e.Sequence).ToList();
        Assert.Equal(oldest, ticks[0]);
        Assert.Null(TickSequence.FirstBreak(ticks));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task IdFromAnotherEpochGetsAReset(FastPathMode fastPath)
    {
        await using var harness = await StartAsync(fastPath);
        var frontend = harness.Services[^1];
        await PositionAsync(harness, atLeast: 5);

        await using var client = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation, lastEventId: "deadbeef-3");
        var events = await client.WaitForTicksAsync(3, Eventually.Timeout, Cancellation);

        Assert.Equal("reset", events[1].Type);
        Assert.Equal("epoch", events[1].Json.GetProperty("reason").GetString());
        Assert.Equal(1, events.First(e => e.Type == "tick").Sequence);
    }

    public static readonly MatrixTheoryData<string, FastPathMode> BadIds = new(
        ["not-an-id!", "-5", "12.5", "99999999999999999999999", "abc-", "future"], [FastPathMode.On, FastPathMode.Off]);

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task BadOrFutureIdsAreRejectedWithAReason(string id, FastPathMode fastPath)
    {
        await using var harness = await StartAsync(fastPath);
        var frontend = harness.Services[^1];
        var (epoch, counter) = await PositionAsync(harness, atLeast: 3);
        if (id == "future")
        {
            id = $"{epoch}-{counter + 1000}";
        }

        foreach (var viaHeader in new[] { true, false })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get,
                viaHeader ? Events(frontend) : new Uri(frontend.Url, $"/events?lastEventId={Uri.EscapeDataString(id)}"));
            if (viaHeader)
            {
                request.Headers.TryAddWithoutValidation("Last-Event-ID", id);
            }

            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal("Invalid Last-Event-ID", problem.GetProperty("title").GetString());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        }

        Assert.Equal(200, await HealthProbe.StatusAsync(frontend));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task AReplicaThatDoesNotYetKnowWhereTheTicksStandRefusesAResumeUntilItDoes(FastPathMode fastPath)
    {
        // Redis has never been ticked, so the replica learns the epoch only from the first tick. A
        // resume it accepted before that could not replay what the client missed.
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var frontend = await harness.StartWebFrontendAsync(WebFrontendSettings(fastPath, maxStreams: null, extra: null),
            cancellationToken: Cancellation);

        using (var refused = await ResumeAsync(frontend, "e0-5"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal("Starting", problem.GetProperty("title").GetString());
        }

        await harness.StartEventServiceAsync(new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.050" },
            cancellationToken: Cancellation);
        var (epoch, _) = await PositionAsync(harness, atLeast: 3);
        await Eventually.WaitAsync(() => StreamPath.StatsAsync(frontend, Cancellation), stats => stats.GetProperty("epoch").GetString() == epoch,
            Eventually.Timeout, "the replica to relay its first tick", Cancellation);

        await using var resumed = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation, lastEventId: $"{epoch}-1");
        var events = await resumed.WaitForTicksAsync(2, Eventually.Timeout, Cancellation);
        Assert.Equal(2, events.First(e => e.Type == "tick").Sequence);
    }

    private static async Task<HttpResponseMessage> ResumeAsync(ServiceProcess frontend, string lastEventId)
    {
        // A client of its own: the refusal closes the connection.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Events(frontend));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task StreamsBeyondTheCapGet503WithRetryAfterAndAFullReplicaIsUnreadyButAlive(FastPathMode fastPath)
    {
        await using var harness = await StartAsync(fastPath, maxStreams: "2");
        var frontend = harness.Services[^1];
        await using var first = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation);
        await using var second = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation);
        await first.WaitUntilAsync(e => e.Count > 0, Eventually.Timeout, Cancellation);
        await second.WaitUntilAsync(e => e.Count > 0, Eventually.Timeout, Cancellation);

        using var response = await Http.GetAsync(Events(frontend), HttpCompletionOption.ResponseHeadersRead, Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.InRange(response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.True(response.Headers.ConnectionClose, "a refused client does not keep its connection");
        Assert.Equal(503, await HealthProbe.StatusAsync(frontend.Url));
        Assert.Equal(200, await HealthProbe.StatusAsync(frontend.Url, "/alive"));

        await first.DisposeAsync();
        await Eventually.WaitAsync(() => HealthProbe.StatusAsync(frontend.Url), status => status == 200, Eventually.Timeout,
            "the replica to be ready again once a stream has left", Cancellation);
        await using var third = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation);
        await third.WaitUntilAsync(e => e.Count > 0, Eventually.Timeout, Cancellation);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ABurstOfConnectsAndDisconnectsLeavesTheReplicaHealthyAndItsMemoryNearBaseline(FastPathMode fastPath)
    {
        await using var harness = await StartAsync(fastPath);
        var frontend = harness.Services[^1];
        await BurstAsync(frontend, 100);
        var baseline = ResidentMemory.Kilobytes(frontend);

        await BurstAsync(frontend, 1000);

        Assert.Equal(200, await HealthProbe.StatusAsync(frontend));
        await using var client = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation);
        await client.WaitForTicksAsync(3, Eventually.Timeout, Cancellation);
        var after = await Eventually.WaitAsync(() => Task.FromResult(ResidentMemory.Kilobytes(frontend)),
            rss => rss <= baseline + 32 * 1024, Eventually.Timeout, $"RSS to return near its baseline of {baseline} KB", Cancellation);
        TestContext.Current.SendDiagnosticMessage($"RSS baseline {baseline} KB, after 1000 connects {after} KB");
    }

    private static async Task BurstAsync(ServiceProcess frontend, int connections)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, connections),
            new ParallelOptions { MaxDegreeOfParallelism = 50, CancellationToken = Cancellation },
            async (_, ct) =>
            {
                await using var client = await SseTestClient.ConnectAsync(Http, Events(frontend), ct);
                await client.WaitUntilAsync(e => e.Count > 0, Eventually.Timeout, ct);
            });
    }

    private static Uri Events(ServiceProcess frontend) => new(frontend.Url, "/events");

    // Every resume reads the history stream: no recent ticks are kept in memory.
    private static Dictionary<string, string?> HistoryOnly => new() { ["TickStream__RecentTicks"] = "0" };

    private static async Task<(string Epoch, long Counter)> PositionAsync(ServiceHarness harness, long atLeast)
    {
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        var counter = await Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Counter),
            c => c >= atLeast, Eventually.Timeout, $"the counter to reach {atLeast}", Cancellation);
        return ((string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!, counter);
    }

    private static Task<ServiceHarness> StartAsync(FastPathMode fastPath = FastPathMode.On, string interval = "00:00:00.050",
        string historyLength = "10000", string? maxStreams = null, Dictionary<string, string?>? extra = null) =>
        ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = interval, ["Ticks__HistoryLength"] = historyLength },
            WebFrontendSettings(fastPath, maxStreams, extra),
            Cancellation);

    private static Dictionary<string, string?> WebFrontendSettings(FastPathMode fastPath, string? maxStreams, Dictionary<string, string?>? extra)
    {
        var settings = new Dictionary<string, string?> { [FastPathSetting.Name] = fastPath.Value(), ["Admission__MaxStreams"] = maxStreams };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }
}
