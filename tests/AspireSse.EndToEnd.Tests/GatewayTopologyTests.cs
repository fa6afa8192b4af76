using AspireSse.Launcher.Topology;
using AspireSse.TestSupport.Processes;
using AspireSse.TestSupport;

namespace AspireSse.EndToEnd.Tests;

/// <summary>The launcher's whole topology: redis-server, EventService, three replicas, the gateway.</summary>
public sealed class GatewayTopologyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThirtyClientsThroughTheGatewaySeeConsecutiveTicksFromSeveralReplicas()
    {
        var options = new TopologyOptions { Replicas = 3 };
        options.EventServiceEnvironment["Ticks__Interval"] = "00:00:00.200";
        await using var topology = await SseTopology.StartAsync(options, Cancellation);
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

        var clients = new List<SseTestClient>();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                clients.Add(await SseTestClient.ConnectAsync(http, new Uri(topology.GatewayUrl, "/events"), Cancellation));
            }

            var replicas = new HashSet<string>();
            foreach (var client in clients)
            {
                var events = await client.WaitForTicksAsync(5, Timeout, Cancellation);
                Assert.Equal("hello", events[0].Type);
                replicas.Add(events[0].Replica!);
                var sequences = events.Where(e => e.Type == "tick").Select(e => e.Sequence).ToList();
                Assert.Null(TickSequence.FirstBreak(sequences));
                Assert.Equal(events[0].Json.GetProperty("sequence").GetInt64() + 1, sequences[0]);
            }

            Assert.True(replicas.Count > 1, $"all 30 clients were served by {string.Join(", ", replicas)}");
            Assert.Subset(topology.Frontends.Select(f => f.Name).ToHashSet(), replicas);
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
    public async Task GatewayServesThePage()
    {
        await using var topology = await SseTopology.StartAsync(new TopologyOptions { Replicas = 2 }, Cancellation);
        using var http = new HttpClient();

        var html = await http.GetStringAsync(topology.GatewayUrl, Cancellation);

        Assert.Contains("<output id=\"counter\"", html, StringComparison.Ordinal);
    }
}
