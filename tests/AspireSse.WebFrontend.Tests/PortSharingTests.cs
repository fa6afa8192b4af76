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
            foreach (var client in clients)
            {
                // Each client, on whichever replica, gets consecutive ticks.
                var ticks = client.Ticks.Select(t => t.Sequence).ToList();
                Assert.Equal(Enumerable.Range((int)ticks[0], ticks.Count).Select(i => (long)i), ticks);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
