using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>Streams asked for while Redis does not answer, against the real processes.</summary>
public sealed class RedisStallTests
{
    // Long enough for a refusal to be decided twice (below HTTP, then again by the endpoint) inside it.
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(8);

    // Ahead of anything published: only Redis can say so, so opening the stream must ask it.
    private const string FarAheadId = "999999999";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ResumesAskedForWhileRedisIsPausedGet503WithRetryAfterOrAreDroppedAndLeaveNoStreamBehind(FastPathMode fastPath)
    {
        // A tick a second: a stream nobody reads is cut as a slow client once its queue fills, which
        // at this pace takes minutes, far longer than this test waits for a stream left behind to go.
        await using var harness = await ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:01" },
            new Dictionary<string, string?> { [FastPathSetting.Name] = fastPath.Value() },
            Cancellation);
        var frontend = harness.Services[^1];
        Assert.Equal(0, await ClientsAsync(frontend));
        var redis = (await harness.ConnectRedisAsync()).GetDatabase();

        // Redis takes the command, then holds every client's commands, the replica's included, until the pause ends.
        await redis.ExecuteAsync("CLIENT", "PAUSE", ((long)Pause.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var paused = System.Diagnostics.Stopwatch.StartNew();
        var answered = Enumerable.Range(0, 4).Select(_ => ResumeAsync(frontend, Cancellation)).ToList();
        // These clients give up before any answer could come, as a closed tab or a proxy's timeout would.
        var abandoned = Enumerable.Range(0, 4).Select(async _ =>
        {
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            giveUp.CancelAfter(TimeSpan.FromMilliseconds(500));
            var left = await Record.ExceptionAsync(() => ResumeAsync(frontend, giveUp.Token));
            Assert.IsAssignableFrom<OperationCanceledException>(left);
        }).ToList();
        await Task.WhenAll(abandoned);
        var responses = new List<(HttpStatusCode Status, TimeSpan? RetryAfter, bool? Close, string? Title, string? Detail)>();
        foreach (var response in answered)
        {
            responses.Add(await response);
        }

        var answeredWithin = paused.Elapsed;

        // Every stream that did not open has left the registry: the replica serves nobody.
        await Eventually.WaitAsync(() => ClientsAsync(frontend), clients => clients == 0, Pause + Eventually.Timeout,
            "/events/stats to count no client once the failed openings are over", Cancellation);
        Assert.True(answeredWithin < Pause, $"the refusals came while Redis was still paused ({answeredWithin.TotalSeconds:F1} s)");
        Assert.All(responses, response =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.Status);
            Assert.InRange(response.RetryAfter ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
            Assert.True(response.Close, "a refused client does not keep its connection");
            Assert.Equal("Redis did not answer", response.Title);
            Assert.Contains("Retry later", response.Detail, StringComparison.Ordinal);
        });
        var output = await Eventually.WaitAsync(() => Task.FromResult(frontend.RecentOutput),
            o => o.Contains("Redis did not answer", StringComparison.Ordinal), Eventually.Timeout,
            "the frontend to log why it refused the streams", Cancellation);
        Assert.DoesNotContain("request head", output, StringComparison.Ordinal);
        TestReport.Publish($"redis stall: fast path {fastPath}, {responses.Count} resumes refused with 503 within " +
            $"{answeredWithin.TotalSeconds:F1} s of the {Pause.TotalSeconds:F0} s pause, {abandoned.Count} abandoned, no stream left behind");

        // Redis is back: the replica is ready and streams again.
        await Eventually.WaitAsync(() => HealthProbe.StatusAsync(frontend), status => status == 200, Eventually.Timeout,
            "the replica to be ready once Redis answers again", Cancellation);
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        await using var client = await SseTestClient.ConnectAsync(http, new Uri(frontend.Url, "/events"), Cancellation);
        await client.WaitForTicksAsync(2, Eventually.Timeout, Cancellation);
    }

    private static async Task<(HttpStatusCode, TimeSpan?, bool?, string?, string?)> ResumeAsync(ServiceProcess frontend,
        CancellationToken cancellationToken)
    {
        // A connection of its own for each: the first request on it is what the fast path answers.
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(frontend.Url, "/events"));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", FarAheadId);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)
            : default;
        return (response.StatusCode, response.Headers.RetryAfter?.Delta, response.Headers.ConnectionClose,
            problem.ValueKind == JsonValueKind.Object ? problem.GetProperty("title").GetString() : null,
            problem.ValueKind == JsonValueKind.Object ? problem.GetProperty("detail").GetString() : null);
    }

    private static async Task<int> ClientsAsync(ServiceProcess frontend) =>
        (await StreamPath.StatsAsync(frontend, Cancellation)).GetProperty("clients").GetInt32();
}
