using System.Net;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>The real WebFrontend process, fed by the real EventService through a real redis-server.</summary>
public sealed class TickStreamTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string FastPathOff = "the fast path is off";
    private static readonly HttpClient Http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task SeveralClientsGetTheSameConsecutiveTicks(FastPathMode fastPath)
    {
        await using var harness = await StartSystemAsync(fastPath);
        var frontend = harness.Services[^1];

        await using var clients = await SseTestClients.ConnectAsync(Http, new Uri(frontend.Url, "/events"), 5, Cancellation);
        var hellos = new List<long>();
        foreach (var client in clients.Clients)
        {
            var seen = await client.WaitUntilAsync(e => e.Count > 0, Timeout, Cancellation);
            hellos.Add(seen[0].Json.GetProperty("sequence").GetInt64());
        }

        // Every client was connected by the time of the latest hello: from there on they must all
        // have seen exactly the same ticks.
        var common = Enumerable.Range(1, 5).Select(i => hellos.Max() + i).ToList();
        foreach (var client in clients.Clients)
        {
            var ticks = await client.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && t.Sequence >= common[^1]), Timeout, Cancellation);
            var sequences = ticks.Where(t => t.Type == "tick").Select(t => t.Sequence).ToList();
            AssertConsecutive(sequences);
            Assert.Subset(sequences.ToHashSet(), common.ToHashSet());
        }
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task HelloArrivesBeforeAnyTick(FastPathMode fastPath)
    {
        await using var harness = await StartSystemAsync(fastPath);
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);

        var events = await client.WaitForTicksAsync(3, Timeout, Cancellation);

        var hello = events[0];
        Assert.Equal("hello", hello.Type);
        Assert.Equal("webfrontend-under-test", hello.Replica);
        var firstTick = events.First(e => e.Type == "tick");
        Assert.Equal(hello.Json.GetProperty("sequence").GetInt64() + 1, firstTick.Sequence);
        Assert.Equal("webfrontend-under-test", firstTick.Replica);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task HeartbeatArrivesAndCarriesNoId(FastPathMode fastPath)
    {
        // A slow ticker, so the stream is quiet apart from heartbeats.
        await using var harness = await StartSystemAsync(fastPath, tickInterval: "00:00:05", heartbeat: "00:00:00.300", lease: "00:00:30");
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);

        var events = await client.WaitUntilAsync(e => e.Count(x => x.Type == "heartbeat") >= 2, Timeout, Cancellation);

        Assert.All(events.Where(e => e.Type == "heartbeat"), e =>
        {
            Assert.Null(e.Id);
            Assert.Equal("webfrontend-under-test", e.Replica);
        });
    }

    [Fact]
    public async Task HeartbeatIsLeftOutWhileTicksFlow()
    {
        // Ten ticks to every heartbeat interval: each check finds that a tick went out since the last.
        await using var harness = await StartSystemAsync(tickInterval: "00:00:00.050", heartbeat: "00:00:00.500");
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);

        var events = await client.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 60, Timeout, Cancellation);

        Assert.DoesNotContain(events, e => e.Type == "heartbeat");
    }

    // Every way a stream is opened and written (below HTTP on a fresh connection, through the HTTP
    // pipeline onto the socket on a reused one, through Kestrel's response pipe for HTTPS, HTTP/2 and
    // with the fast path off) must look the same to a client.
    [Theory]
    [InlineData(StreamPath.Connection)]
    [InlineData(StreamPath.Socket)]
    [InlineData(StreamPath.Pipe)]
    [InlineData(StreamPath.Plain)]
    public async Task StreamIsUnbufferedNeverCompressedAndConsecutiveWhicheverWayItIsWritten(string path)
    {
        await using var harness = await StartSystemAsync(extra: StreamPath.Settings(path));
        var frontend = harness.Services[^1];
        using var http = await StreamPath.ClientAsync(path, frontend, Cancellation);
        http.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip, br, deflate");

        await using var client = await SseTestClient.ConnectAsync(http, new Uri(frontend.Url, "/events"), Cancellation);

        var response = client.Response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(response.Content.Headers.ContentEncoding, e => e is "gzip" or "br" or "deflate");
        Assert.Equal(["no"], response.Headers.GetValues("X-Accel-Buffering"));
        Assert.True(response.Headers.CacheControl is { NoCache: true, NoStore: true }, $"Cache-Control: {response.Headers.CacheControl}");
        // On the socket the body ends with the connection; Kestrel's pipe frames it in chunks.
        var onPipe = StreamPath.Counted(path) == StreamPath.Pipe;
        Assert.Equal(!onPipe, response.Headers.ConnectionClose == true);
        Assert.Equal(onPipe, response.Headers.TransferEncodingChunked == true);

        var events = await client.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 5, Timeout, Cancellation);
        Assert.Equal("hello", events[0].Type);
        var hello = events[0].Json.GetProperty("sequence").GetInt64();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => hello + i), events.Where(e => e.Type == "tick").Take(5).Select(e => e.Sequence));
        await StreamPath.AssertOnlyAsync(path, frontend, Cancellation);
        // Nothing protects /events (appsettings' AllowedHosts "*" included), so nothing turned the fast path off.
        Assert.DoesNotContain(FastPathOff, frontend.RecentOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithStreamsProtectedByAnApiKeyAFreshConnectionGets401WithoutTheKeyAndWithItStreamsThroughTheHttpPipeline()
    {
        const string key = "a-key-for-the-tests-0123456789";
        await using var harness = await StartSystemAsync(extra: new() { ["StreamAuthorization__ApiKey"] = key });
        var frontend = harness.Services[^1];

        // Each on a fresh connection: what the below-HTTP path would answer if it did not stand aside.
        foreach (var sent in new[] { null, "not-the-key-0123456789abcdef" })
        {
            using var fresh = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(frontend.Url, "/events"));
            if (sent is not null)
            {
                request.Headers.Add("X-Api-Key", sent);
            }

            using var refused = await fresh.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("ApiKey", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
        }

        using var http = await StreamPath.ClientAsync(StreamPath.Connection, frontend, Cancellation);
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        await using var client = await SseTestClient.ConnectAsync(http, new Uri(frontend.Url, "/events"), Cancellation);
        var events = await client.WaitForTicksAsync(3, Timeout, Cancellation);

        Assert.Equal("hello", events[0].Type);
        // A fresh connection, yet served by the endpoint (written to the socket), not below HTTP.
        await StreamPath.AssertOnlyAsync(StreamPath.Socket, frontend, Cancellation, apiKey: key);
        var output = frontend.RecentOutput;
        Assert.Contains(FastPathOff, output, StringComparison.Ordinal);
        Assert.Contains("requires authorization", output, StringComparison.Ordinal);
        Assert.Contains("schemes: ApiKey", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhatTheConnectionPathDoesNotRecogniseIsAnsweredByKestrel()
    {
        await using var harness = await StartSystemAsync();
        var frontend = harness.Services[^1];
        var host = $"Host: {frontend.Url.Authority}\r\n";

        // Refusals come from the endpoint, with their reason.
        var badId = await RawHttp.ExchangeAsync(frontend, $"GET /events?lastEventId=abc HTTP/1.1\r\n{host}Connection: close\r\n\r\n", Cancellation);
        Assert.StartsWith("HTTP/1.1 400 ", badId, StringComparison.Ordinal);
        Assert.Contains("Invalid Last-Event-ID", badId, StringComparison.Ordinal);
        // HTTP/1.1 without Host is Kestrel's to reject.
        var noHost = await RawHttp.ExchangeAsync(frontend, "GET /events HTTP/1.1\r\n\r\n", Cancellation);
        Assert.StartsWith("HTTP/1.1 400 ", noHost, StringComparison.Ordinal);
        // Another path that starts the same way.
        var stats = await RawHttp.ExchangeAsync(frontend, $"GET /events/stats HTTP/1.1\r\n{host}Connection: close\r\n\r\n", Cancellation);
        Assert.StartsWith("HTTP/1.1 200 ", stats, StringComparison.Ordinal);
        Assert.Contains("\"replica\":\"webfrontend-under-test\"", stats, StringComparison.Ordinal);
        Assert.Equal(0, (await StreamPath.OpenedAsync(frontend, Cancellation)).Values.Sum());

        // A head that arrives in pieces, as from a slow client, is still answered below HTTP.
        await using var slow = await RawHttp.ConnectAsync(frontend, Cancellation);
        foreach (var piece in new[] { "GET /ev", $"ents HTTP/1.1\r\n{host}", "Accept: text/event-stream\r\n", "\r\n" })
        {
            await slow.SendAsync(piece, Cancellation);
            await Task.Delay(TimeSpan.FromMilliseconds(50), Cancellation);
        }

        var stream = await slow.ReadUntilAsync("event: tick", Timeout, Cancellation);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", stream, StringComparison.Ordinal);
        Assert.Contains("event: hello", stream, StringComparison.Ordinal);
        await StreamPath.AssertOnlyAsync(StreamPath.Connection, frontend, Cancellation);
    }

    [Fact]
    public async Task AConnectionThatSendsNoRequestHeadIsCutAndTheReplicaSaysWhy()
    {
        await using var harness = await StartSystemAsync(extra: new() { ["Admission__RequestHeadTimeout"] = "00:00:00.500" });
        var frontend = harness.Services[^1];

        await using var silent = await RawHttp.ConnectAsync(frontend, Cancellation);
        await using var partial = await RawHttp.ConnectAsync(frontend, Cancellation);
        await partial.SendAsync("GET /events HTTP/1.1\r\n", Cancellation);

        foreach (var connection in new[] { silent, partial })
        {
            // Closed or reset by the replica, with nothing sent: not left open until the test's timeout.
            var closed = await Record.ExceptionAsync(() => connection.ReadUntilAsync("HTTP/1.1", Timeout, Cancellation));
            Assert.True(closed is InvalidOperationException or IOException, $"the replica cut the connection ({closed})");
        }

        await Eventually.WaitAsync(() => Task.FromResult(frontend.RecentOutput),
            o => o.Contains("Cut a connection that sent no whole request head within 500 ms (Admission:RequestHeadTimeout; 2 so far)", StringComparison.Ordinal),
            Timeout, "the frontend to log the cut connections", Cancellation);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task EventsQueuedBehindASlowReaderLeaveTogetherInOneWrite(FastPathMode fastPath)
    {
        // Fast ticks, small socket buffers on both ends and a queue long enough not to cut the client.
        await using var harness = await StartSystemAsync(fastPath, tickInterval: "00:00:00.002", extra: new()
        {
            ["TickStream__SocketSendBufferBytes"] = "4096",
            ["Kestrel__Limits__MaxResponseBufferSize"] = "4096",
            ["TickStream__ClientQueueCapacity"] = "5000",
        });
        var frontend = harness.Services[^1];
        await using var client = SseTestClient.StartLikeABrowser(new Uri(frontend.Url, "/events"), receiveBufferBytes: 4096);
        await Eventually.WaitAsync(() => Task.FromResult(client.LastSequence), s => s > 0, Timeout, "the first tick", Cancellation);

        await client.PauseReadingAsync();
        var paused = client.LastSequence;
        // Far more ticks than the socket buffers and Kestrel's 64 KB output pipe hold: the rest must
        // wait in the client's queue.
        await Eventually.WaitAsync(() => StatsAsync(frontend), s => s.GetProperty("lastSequence").GetInt64() > paused + 1000, Timeout,
            "the replica to relay 1000 ticks past what the paused client has read", Cancellation);
        var before = await StatsAsync(frontend);
        client.ResumeReading();

        var target = before.GetProperty("lastSequence").GetInt64();
        await Eventually.WaitAsync(() => Task.FromResult(client.LastSequence), s => s >= target, Timeout,
            $"the client to catch up to tick {target}", Cancellation);
        var after = await StatsAsync(frontend);

        AssertConsecutive([.. client.Ticks.Select(t => t.Sequence)]);
        Assert.Equal(0, client.Resets);
        Assert.Equal(1, client.Connections);
        var writes = after.GetProperty("writes").GetInt64();
        var written = after.GetProperty("eventsWritten").GetInt64();
        // Every tick up to the target was written, and hundreds of them rode along with others in a
        // write (one write per event would make the two counts equal).
        Assert.True(written >= target - client.Ticks[0].Sequence, $"{written} events written");
        Assert.True(written - writes >= 100, $"{written} events in {writes} writes");
        TestReport.Publish($"bursts: {(fastPath == FastPathMode.On ? "socket" : "kestrel pipe")} {written} events in {writes} writes " +
            $"({(double)written / writes:F1} per write) while a paused client caught up {target - paused} ticks");
    }

    [Fact]
    public async Task WithAFlushIntervalTicksLeaveSeveralToAWriteAndNoneIsLost()
    {
        // Ticks every 20 ms, writers woken every 200 ms: about ten ticks per write.
        await using var harness = await StartSystemAsync(tickInterval: "00:00:00.020",
            extra: new() { ["FastPath__FlushInterval"] = "00:00:00.200" });
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);

        var events = await client.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 50, Timeout, Cancellation);
        var stats = await StatsAsync(frontend);

        Assert.Equal("hello", events[0].Type);
        var hello = events[0].Json.GetProperty("sequence").GetInt64();
        var ticks = events.Where(e => e.Type == "tick").Select(e => e.Sequence).ToList();
        Assert.Equal(hello + 1, ticks[0]);
        AssertConsecutive(ticks);
        var writes = stats.GetProperty("writes").GetInt64();
        var written = stats.GetProperty("eventsWritten").GetInt64();
        // Even a machine too busy to tick every 20 ms queues several ticks in 200 ms.
        Assert.True(written >= 3 * writes, $"{written} events in {writes} writes");
        TestReport.Publish($"bursts: flush interval 200 ms, ticks every 20 ms: {written} events in {writes} writes ({(double)written / writes:F1} per write)");
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task MalformedMessageOnTheChannelIsLoggedAndSkipped(FastPathMode fastPath)
    {
        await using var harness = await StartSystemAsync(fastPath);
        var frontend = harness.Services[^1];
        await using var client = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        await client.WaitForTicksAsync(1, Timeout, Cancellation);

        var redis = await harness.ConnectRedisAsync();
        await redis.GetSubscriber().PublishAsync(TickRedisKeys.Channel, "this is not a tick");
        var before = client.Ticks.Count;

        var events = await client.WaitForTicksAsync(before + 3, Timeout, Cancellation);
        AssertConsecutive([.. events.Where(e => e.Type == "tick").Select(e => e.Sequence)]);
        Assert.True(frontend.IsRunning);
        await Eventually.WaitAsync(() => Task.FromResult(frontend.RecentOutput), o => o.Contains("this is not a tick", StringComparison.Ordinal),
            Timeout, "the frontend to log the malformed message", Cancellation);
    }

    [Fact]
    public async Task PageIsServedAndNeedsNothingFromTheInternet()
    {
        await using var harness = await StartSystemAsync();
        var frontend = harness.Services[^1];

        var html = await Http.GetStringAsync(new Uri(frontend.Url, "/"), Cancellation);
        Assert.Contains("<script src=\"app.js\"></script>", html, StringComparison.Ordinal);

        foreach (var asset in new[] { "/", "/app.js", "/app.css", "/tick-stream.js", "/tick-worker.js" })
        {
            var text = await Http.GetStringAsync(new Uri(frontend.Url, asset), Cancellation);
            Assert.DoesNotContain("https://", text, StringComparison.Ordinal);
            Assert.DoesNotContain("http://", text, StringComparison.Ordinal);
        }

        Assert.Contains("new SharedWorker(", await Http.GetStringAsync(new Uri(frontend.Url, "/app.js"), Cancellation), StringComparison.Ordinal);
        Assert.Contains("new EventSource(", await Http.GetStringAsync(new Uri(frontend.Url, "/tick-stream.js"), Cancellation), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task StatsCountTheStreamsThisReplicaServes(FastPathMode fastPath)
    {
        await using var harness = await StartSystemAsync(fastPath);
        var frontend = harness.Services[^1];

        var idle = await StatsAsync(frontend);
        Assert.Equal("webfrontend-under-test", idle.GetProperty("replica").GetString());
        Assert.Equal(0, idle.GetProperty("clients").GetInt32());

        var first = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        await using (var second = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation))
        {
            await second.WaitForTicksAsync(1, Timeout, Cancellation);
            await WaitForClientsAsync(frontend, 2);
        }

        await WaitForClientsAsync(frontend, 1);
        await first.DisposeAsync();
        var after = await WaitForClientsAsync(frontend, 0);
        Assert.True(after.GetProperty("lastSequence").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(after.GetProperty("epoch").GetString()));
    }

    private static async Task<JsonElement> StatsAsync(ServiceProcess frontend) =>
        JsonSerializer.Deserialize<JsonElement>(await Http.GetStringAsync(new Uri(frontend.Url, "/events/stats"), Cancellation));

    private static Task<JsonElement> WaitForClientsAsync(ServiceProcess frontend, int clients) =>
        Eventually.WaitAsync(() => StatsAsync(frontend), s => s.GetProperty("clients").GetInt32() == clients, Timeout,
            $"/events/stats to count {clients} client(s)", Cancellation);

    private static Task<ServiceHarness> StartSystemAsync(FastPathMode fastPath = FastPathMode.On, string tickInterval = "00:00:00.100",
        string heartbeat = "00:00:15", string lease = "00:00:05", Dictionary<string, string?>? extra = null)
    {
        var webFrontend = new Dictionary<string, string?>
        {
            ["TickStream__HeartbeatInterval"] = heartbeat,
            [FastPathSetting.Name] = fastPath.Value(),
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=webfrontend-under-test",
        };
        foreach (var (key, value) in extra ?? [])
        {
            webFrontend[key] = value;
        }

        return ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = tickInterval, ["Ticks__LeaseTime"] = lease }, webFrontend, Cancellation);
    }

    private static void AssertConsecutive(IReadOnlyList<long> sequences) => Assert.Null(TickSequence.FirstBreak(sequences));
}
