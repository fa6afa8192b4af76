using System.Diagnostics;
using System.Globalization;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// What resumes that replay the history stream cost other clients of the replica: the history
/// reads they wait behind (see also <see cref="StalledReplayTests"/>).
/// </summary>
public sealed class ReplayCostTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsReplayingTheWholeHistoryOverAndOverDoNotKeepAnotherClientsResumeWaiting(FastPathMode fastPath)
    {
        // One history read at a time on this replica, and every resume reads the history.
        await using var harness = await StartAsync(fastPath, interval: "00:00:00.005",
            new() { ["TickStream__ConcurrentHistoryReads"] = "1", ["TickStream__ClientQueueCapacity"] = "20000" });
        var frontend = harness.Services[^1];
        await PositionAsync(harness, atLeast: 1000);
        await using var normal = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation);
        await normal.WaitForTicksAsync(3, Eventually.Timeout, Cancellation);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var replays = 0;
        var loops = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var looping = await SseTestClient.ConnectAsync(Http, Events(frontend), stop.Token, lastEventId: "0");
                await looping.WaitUntilAsync(IsLive, Eventually.Timeout, stop.Token);
                Interlocked.Increment(ref replays);
            }
        })).ToList();
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref replays)), r => r >= 3, Eventually.Timeout,
                "the looping clients to finish a few replays", Cancellation);
            var last = normal.Ticks[^1];
            await normal.DisposeAsync();
            var redis = (await harness.ConnectRedisAsync()).GetDatabase();
            await Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Counter), c => c >= last.Sequence + 20,
                Eventually.Timeout, "20 ticks to pass while disconnected", Cancellation);

            var resumedAt = Stopwatch.GetTimestamp();
            await using var resumed = await SseTestClient.ConnectAsync(Http, Events(frontend), Cancellation, lastEventId: last.Id);
            var events = await resumed.WaitUntilAsync(IsLive, Eventually.Timeout, Cancellation);
            var caughtUp = Stopwatch.GetElapsedTime(resumedAt);
            var replaysBeside = Volatile.Read(ref replays);

            var ticks = normal.Ticks.Concat(events.Where(e => e.Type == "tick")).Select(t => t.Sequence).ToList();
            Assert.Null(TickSequence.FirstBreak(ticks));
            Assert.True(events.Any(e => e.Type == "tick" && e.Json.GetProperty("replayed").GetBoolean()), "the resume replayed what it missed");
            TestReport.Publish(string.Create(CultureInfo.InvariantCulture,
                $"Fast path {fastPath}: beside 3 clients replaying the whole history in a loop ({replaysBeside} replays so far), " +
                $"a resume caught up with the live ticks in {caughtUp.TotalMilliseconds:F0} ms"));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        Assert.True(loops.All(l => l.IsCanceled || l.Exception?.InnerExceptions.All(e => e is OperationCanceledException) == true),
            string.Join(Environment.NewLine, loops.Select(l => l.Exception?.ToString()).OfType<string>()));
    }

    private static Uri Events(ServiceProcess frontend) => new(frontend.Url, "/events");

    // The replay is over once a live tick arrives (only the newest event is looked at: a replay is thousands).
    private static bool IsLive(IReadOnlyList<SseEvent> events) =>
        events is [.., { Type: "tick" } last] && !last.Json.GetProperty("replayed").GetBoolean();

    private static async Task<(string Epoch, long Counter)> PositionAsync(ServiceHarness harness, long atLeast)
    {
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();
        var counter = await Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Counter),
            c => c >= atLeast, TimeSpan.FromSeconds(60), $"the counter to reach {atLeast}", Cancellation);
        return ((string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!, counter);
    }

    private static Task<ServiceHarness> StartAsync(FastPathMode fastPath, string interval, Dictionary<string, string?> webFrontend)
    {
        // Every resume reads the history: no recent ticks are kept in memory.
        webFrontend[FastPathSetting.Name] = fastPath.Value();
        webFrontend["TickStream__RecentTicks"] = "0";
        return ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = interval, ["Ticks__HistoryLength"] = "100000" },
            webFrontend, Cancellation);
    }
}
