using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// A reconnect storm: the replica holding the most of 2 000 clients is killed, and all of its clients
/// resume on the survivors within one jittered reconnect delay of each other. None may lose a tick,
/// and the resumes must be served from the survivors' recent ticks, not one Redis read each.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class ReconnectStormTests
{
    private const int Clients = 2000;
    private const int Replicas = 4;

    // A client is told to come back after the reconnect delay plus up to as much again; the margin
    // is a busy two-core machine replaying to hundreds of streams and their proxy at once.
    private static readonly TimeSpan ReconnectDelay = TimeSpan.Parse(FaultRun.WebFrontendSettings["TickStream__ReconnectDelay"]!, CultureInfo.InvariantCulture);
    private static readonly TimeSpan LiveAgainWithin = 2 * ReconnectDelay + TimeSpan.FromSeconds(12);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsOfAKilledReplicaAllResumeOnTheSurvivorsFromMemoryWithoutLoss(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation, Clients, s =>
        {
            // Ticks every 250 ms: 2 000 clients at 20 ms would measure the test machine.
            s.EventService["Ticks__Interval"] = "00:00:00.250";
            s.WebFrontendReplicas = Replicas;
        });
        var replicas = run.System.WebFrontends;
        var busiest = run.Clients.GroupBy(c => c.Replicas[^1]).MaxBy(g => g.Count())!;
        var killed = replicas.Single(r => r.InstanceId == busiest.Key);
        var moved = busiest.ToList();
        var survivors = replicas.Where(r => r != killed).ToList();
        var before = await ReplaysAsync(survivors);

        var lag = Median(run.Clients.Select(c => LagOfLastTick(c, Stopwatch.GetTimestamp())));
        var killedAt = Stopwatch.GetTimestamp();
        await run.System.KillAsync(killed, Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation, beyond: 10);
        var after = await ReplaysAsync(survivors);
        var (window, history) = (after.Window - before.Window, after.History - before.History);
        var resumes = moved.Select(c => ResumedAfter(c, killedAt)).ToList();
        var liveAgain = resumes.Select(r => r.Live).ToList();
        var allLive = liveAgain.Max();
        report.Publish(run.Scenario("reconnect-storm"),
            $"replicas={replicas.Count} moved={moved.Count} all-live-after={allLive.TotalMilliseconds:F0}ms " +
            $"(lag of a live tick before the kill {lag:F0}ms median) " +
            $"(bound {LiveAgainWithin.TotalMilliseconds:F0}ms, median {Median(liveAgain):F0}ms; " +
            $"hello after {Median(resumes.Select(r => r.Hello)):F0}ms median, {resumes.Max(r => r.Hello).TotalMilliseconds:F0}ms max) " +
            $"replays window/history={window}/{history} redis-reads-per-resume={(double)history / Math.Max(1, window + history):F3} " +
            run.ProxyLine());

        Assert.True(report.Clients >= Clients);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(0, report.Reordered);
        Assert.All(moved, c => Assert.True(c.Connections > 1, "every client of the killed replica resumed"));
        Assert.True(window + history >= moved.Count, $"{window + history} resumes replayed for {moved.Count} moved clients");
        Assert.True(allLive <= LiveAgainWithin, $"every moved client was live again {allLive.TotalMilliseconds:F0} ms after the kill");
        // Only resumes that arrive after the survivors' windows lost their place may read Redis.
        Assert.True(history <= moved.Count / 20, $"{history} of {window + history} resumes read the history stream");
    }

    /// <summary>
    /// From the kill to the <c>hello</c> of the client's next stream, and to the first live (not
    /// replayed) tick on it.
    /// </summary>
    private static (TimeSpan Hello, TimeSpan Live) ResumedAfter(SseTestClient client, long killedAt)
    {
        var events = client.Events.SkipWhile(e => e.Type != "hello" || e.ReceivedAt <= killedAt).ToList();
        Assert.True(events.Count > 0, "the client opened a stream after the kill");
        var live = events.First(e => e.Type == "tick" && !e.Json.GetProperty("replayed").GetBoolean());
        return (Stopwatch.GetElapsedTime(killedAt, events[0].ReceivedAt), Stopwatch.GetElapsedTime(killedAt, live.ReceivedAt));
    }

    /// <summary>
    /// How late the client's last tick before <paramref name="now"/> arrived after its publish: how far
    /// behind the loaded machine runs, which every time measured here includes.
    /// </summary>
    private static TimeSpan LagOfLastTick(SseTestClient client, long now)
    {
        var last = client.Ticks[^1];
        var receivedAt = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(last.ReceivedAt, now);
        return receivedAt - last.Json.GetProperty("publishedAt").GetDateTimeOffset();
    }

    private static double Median(IEnumerable<TimeSpan> times) => times.Order().ElementAt(times.Count() / 2).TotalMilliseconds;

    /// <summary>Resumes the replicas replayed so far, summed: from their recent ticks, and those that read Redis.</summary>
    private static async Task<(long Window, long History)> ReplaysAsync(IEnumerable<Replica> replicas)
    {
        using var http = new HttpClient { Timeout = FaultRun.Timeout };
        long window = 0, history = 0;
        foreach (var replica in replicas)
        {
            using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(replica.Url, "/events/stats"), Cancellation));
            var replays = stats.RootElement.GetProperty("replays");
            window += replays.GetProperty("window").GetInt64();
            history += replays.GetProperty("history").GetInt64();
        }

        return (window, history);
    }
}
