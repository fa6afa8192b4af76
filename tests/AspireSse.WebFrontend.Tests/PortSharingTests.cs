using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>Replicas on one machine behind one port (<c>PortSharing:Port</c>), as the benchmark runs them.</summary>
public sealed class PortSharingTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoReplicasOnOneSharedPortBothServeItsClientsEveryTick()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var shared = FreePort.Next();
        var first = await harness.StartWebFrontendAsync(name: "webfrontend-1", cancellationToken: Cancellation, sharedPort: shared);
        var second = await harness.StartWebFrontendAsync(name: "webfrontend-2", cancellationToken: Cancellation, sharedPort: shared);
        await harness.StartEventServiceAsync(new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.100" },
            cancellationToken: Cancellation);

        // The kernel spreads connections by a hash of their addresses: with 40, both replicas get some.
        var url = new Uri($"http://127.0.0.1:{shared}/events");
        var clients = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => SseTestClient.ConnectAsync(Http, url, Cancellation)));
        try
        {
            var counts = await Task.WhenAll(new[] { first, second }.Select(async r =>
                (await StreamPath.StatsAsync(r, Cancellation)).GetProperty("clients").GetInt32()));
            Assert.Equal(40, counts.Sum());
            Assert.All(counts, c => Assert.True(c > 0, $"each replica holds some of the clients ({string.Join(", ", counts)})"));

            await Task.WhenAll(clients.Select(c => c.WaitForTicksAsync(3, Eventually.Timeout, Cancellation)));
            // Each client, on whichever replica, gets consecutive ticks.
            Assert.All(clients.Select(c => TickSequence.FirstBreak([.. c.Ticks.Select(t => t.Sequence)])), Assert.Null);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AReplicaStoppingOnASharedPortTakesNoNewClientsAndSendsItsOwnStraightToTheOther()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var shared = FreePort.Next();
        // A long drain delay holds open the window in which the stopping replica still streams to its
        // clients but must take no new ones; a short reconnect delay brings its clients back while it
        // is still finishing.
        var settings = new Dictionary<string, string?>
        {
            ["TickStream__DrainDelay"] = "00:00:03",
            ["TickStream__ReconnectDelay"] = "00:00:00.050",
        };
        var stopping = await harness.StartWebFrontendAsync(settings, "webfrontend-1", shared, Cancellation);
        var staying = await harness.StartWebFrontendAsync(settings, "webfrontend-2", shared, Cancellation);
        await harness.StartEventServiceAsync(new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.100" },
            cancellationToken: Cancellation);
        var (stoppingId, stayingId) = (await ReplicaIdAsync(stopping), await ReplicaIdAsync(staying));

        var url = new Uri($"http://127.0.0.1:{shared}/events");
        var clients = Enumerable.Range(0, 40).Select(_ => SseTestClient.StartLikeABrowser(url)).ToList();
        var latecomers = new List<SseTestClient>();
        try
        {
            await Task.WhenAll(clients.Select(c => c.WaitForTicksAsync(2, Eventually.Timeout, Cancellation)));
            var moved = clients.Where(c => c.Replicas[0] == stoppingId).ToList();
            Assert.True(moved.Count > 0, "the kernel gave the replica that stops some of the 40 clients");

            var stopped = stopping.StopAsync(TimeSpan.FromSeconds(30));
            await Eventually.WaitAsync(() => HealthProbe.StatusAsync(stopping), status => status == 503, Eventually.Timeout,
                "the stopping replica to report itself unready", Cancellation);
            latecomers.AddRange(Enumerable.Range(0, 20).Select(_ => SseTestClient.StartLikeABrowser(url)));
            await Task.WhenAll(latecomers.Select(c => c.WaitForTicksAsync(1, Eventually.Timeout, Cancellation)));
            await stopped;

            // Each moved client has a tick from its second stream: it is back, on the other replica.
            await Task.WhenAll(moved.Select(c => c.WaitUntilAsync(
                events => events.SkipWhile(e => e.Type != "drain").Any(e => e.Type == "tick"), Eventually.Timeout, Cancellation)));
            Assert.All(latecomers, c => Assert.Equal(stayingId, Route(c)));
            Assert.All(moved, c => Assert.Equal($"{stoppingId} → {stayingId}", Route(c)));
            Assert.All(moved.Select(c => TickSequence.FirstBreak([.. c.Ticks.Select(t => t.Sequence)])), Assert.Null);
        }
        finally
        {
            foreach (var client in clients.Concat(latecomers))
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The replicas that served the client's streams, and its failed attempts between them, if any.</summary>
    private static string Route(SseTestClient client) =>
        string.Join(" → ", client.Replicas) + (client.FailedAttempts > 0 ? $" ({client.FailedAttempts} failed attempts)" : "");

    private static async Task<string> ReplicaIdAsync(ServiceProcess replica) =>
        (await StreamPath.StatsAsync(replica, Cancellation)).GetProperty("replica").GetString()!;
}
