using System.Net;
using System.Text.Json;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>Redis stops answering for longer than a client waits, while streams open and resume.</summary>
[Collection(FaultScenarios.Name)]
public sealed class RedisPauseTests
{
    private const string Plain = "webfrontend-plain";
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(8);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StreamsThatCannotOpenWhileRedisIsPausedAreRefusedOrClosedAndLeaveNoPhantomBehind()
    {
        // The proxy's replicas take the fast path; one more replica beside them is the plain pattern.
        // Queues long enough that nothing is cut as slow during the scenario: a stream left registered
        // by a failed opening would stay counted for the rest of it.
        await using var run = await FaultRun.StartAsync(FastPathMode.On, Cancellation, configure: s =>
        {
            s.WebFrontend["TickStream__ClientQueueCapacity"] = "100000";
            s.ExtraWebFrontends[Plain] = new() { [FastPathSetting.Name] = FastPathMode.Off.Value() };
        });
        var replicas = run.System.WebFrontends.Concat(run.System.Instances(Plain)).ToList();
        var redis = await run.System.RedisAsync(Cancellation);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

        await redis.ExecuteAsync("CLIENT", "PAUSE", (long)Pause.TotalMilliseconds, "ALL");
        var pausedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        // Resumes that need Redis to open (their id is ahead of every replica): half give up after 2 s,
        // half wait as long as it takes.
        var resumes = replicas.SelectMany(replica => Enumerable.Range(0, 40).Select(i =>
            ResumeAsync(http, replica.Url, patience: TimeSpan.FromSeconds(i % 2 == 0 ? 2 : 30)))).ToList();
        var outcomes = await Task.WhenAll(resumes).WaitAsync(FaultRun.Timeout, Cancellation);
        var decidedWithin = System.Diagnostics.Stopwatch.GetElapsedTime(pausedAt);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        var live = run.Clients.Count;
        try
        {
            await Eventually.WaitAsync(() => CountedStreamsAsync(http, replicas), n => n <= live, TimeSpan.FromSeconds(10),
                $"the replicas to count only the {live} live streams", Cancellation);
        }
        catch (TimeoutException)
        {
            // Counted below, and reported.
        }

        var phantoms = await CountedStreamsAsync(http, replicas) - live;
        var refused = outcomes.Count(o => o.Status == HttpStatusCode.ServiceUnavailable);
        report.Publish(run.Scenario("redis-pause"),
            $"phantom-streams={phantoms} resumes={outcomes.Length} refused-503={refused} gave-up={outcomes.Count(o => o.Status is null)} " +
            $"other={string.Join('/', outcomes.Where(o => o.Status is { } s && s != HttpStatusCode.ServiceUnavailable).Select(o => (int)o.Status!))} " +
            run.ProxyLine());
        Assert.Equal(0, phantoms);
        Assert.True(decidedWithin < Pause, $"every resume was answered or given up while Redis was still paused ({decidedWithin.TotalSeconds:F1} s)");
        Assert.Equal((0L, 0L, 0L), (report.Lost, report.Duplicated, report.Reordered));
        Assert.All(outcomes.Where(o => o.Status == HttpStatusCode.ServiceUnavailable), o => Assert.NotNull(o.RetryAfter));
        Assert.True(refused > 0, "the clients that waited were told to retry");
        Assert.DoesNotContain(outcomes, o => o.Status is { } status && (int)status >= 500 && status != HttpStatusCode.ServiceUnavailable);
    }

    private sealed record Outcome(HttpStatusCode? Status, TimeSpan? RetryAfter);

    private static async Task<Outcome> ResumeAsync(HttpClient http, Uri replica, TimeSpan patience)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(replica, "/events"));
        request.Headers.Add("Last-Event-ID", "999999999");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(patience);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            return new Outcome(response.StatusCode, response.Headers.RetryAfter?.Delta);
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
            // The client gave up and closed its connection, as a browser tab does.
            return new Outcome(null, null);
        }
    }

    private static async Task<int> CountedStreamsAsync(HttpClient http, IEnumerable<Replica> replicas)
    {
        var total = 0;
        foreach (var replica in replicas)
        {
            using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(replica.Url, "/events/stats"), Cancellation));
            total += stats.RootElement.GetProperty("clients").GetInt32();
        }

        return total;
    }
}
