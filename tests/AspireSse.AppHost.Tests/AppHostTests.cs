using System.Net;
using Aspire.Hosting.ApplicationModel;
using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;
using Xunit;

namespace AspireSse.AppHost.Tests;

/// <summary>
/// The AppHost's system as the dashboard shows it, through the shared fixture. Tests in one class run
/// one after another, so only one copy of the system is up at any time.
/// </summary>
public sealed class AppHostTests
{
    private static readonly TimeSpan Timeout = RunningSystem.Timeout;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RedisTwoEventServicesAndThreeWebFrontendReplicasAllRunHealthy()
    {
        await using var system = await RunningSystem.StartAsync(new SystemSettings(), Cancellation);

        var notifications = system.App.ResourceNotifications;
        Assert.Equal(2, system.EventServices.Count);
        Assert.Equal(3, system.WebFrontends.Count);
        Assert.Single(system.Instances(RunningSystem.RedisServer));
        // Every instance is its own resource in the dashboard, named <resource>-<instance id>.
        Assert.All(system.WebFrontends.Concat(system.EventServices), r => Assert.NotEqual(r.ResourceName, r.ResourceId));
        Assert.Equal(5, system.WebFrontends.Concat(system.EventServices).Select(r => r.InstanceId).Distinct().Count());
        foreach (var replica in system.WebFrontends.Concat(system.EventServices))
        {
            Assert.True(notifications.TryGetCurrentState(replica.ResourceId, out var state), $"{replica.ResourceId} has a state");
            Assert.Equal(KnownResourceStates.Running, state!.Snapshot.State?.Text);
        }
    }

    [Fact]
    public async Task OneEventServiceTicksWhileTheOtherStandsBy()
    {
        await using var system = await RunningSystem.StartAsync(new SystemSettings(), Cancellation);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // Both are ready: the standby because it sees the lease and could take over.
        foreach (var instance in system.EventServices)
        {
            using var response = await http.GetAsync(new Uri(instance.Url, "/health"), Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The lease names exactly one of them, by its process id.
        var redis = await system.RedisAsync(Cancellation);
        var token = (string?)await redis.StringGetAsync(TickRedisKeys.Leader);
        Assert.NotNull(token);
        var leader = Assert.Single(system.EventServices, e => token.Contains($"-{system.ProcessIdOf(e)}-", StringComparison.Ordinal));
        await system.WaitForLogAsync(leader, l => l.Contains("Took the single-writer lease", StringComparison.Ordinal),
            $"the leader {leader.ResourceId} to say it took the lease", Cancellation);
        var standby = Assert.Single(system.EventServices, e => e != leader);
        await system.WaitForLogAsync(standby, l => l.Contains("Standing by", StringComparison.Ordinal),
            $"the standby {standby.ResourceId} to say it stands by", Cancellation);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ThirtyClientsThroughTheOneUrlSeeConsecutiveTicksFromSeveralReplicas(FastPathMode fastPath)
    {
        await using var system = await RunningSystem.StartAsync(
            new SystemSettings { TickInterval = TimeSpan.FromMilliseconds(200), FastPath = fastPath }, Cancellation);
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

        await using var clients = await SseTestClients.ConnectAsync(http, new Uri(system.WebFrontendUrl, "/events"), 30, Cancellation);
        var replicas = new HashSet<string>();
        foreach (var client in clients.Clients)
        {
            var events = await client.WaitForTicksAsync(5, Timeout, Cancellation);
            Assert.Equal("hello", events[0].Type);
            replicas.Add(events[0].Replica!);
            var sequences = events.Where(e => e.Type == "tick").Select(e => e.Sequence).ToList();
            Assert.Null(TickSequence.FirstBreak(sequences));
            Assert.Equal(events[0].Json.GetProperty("sequence").GetInt64() + 1, sequences[0]);
        }

        Assert.True(replicas.Count > 1, $"all 30 clients were served by {string.Join(", ", replicas)}");
        Assert.Subset(system.WebFrontends.Select(f => f.InstanceId).ToHashSet(), replicas);
    }

    [Fact]
    public async Task AnAppHostRestartContinuesTheCountInsteadOfStartingANewEpoch()
    {
        var data = Directory.CreateTempSubdirectory("aspiresse-apphost-restart-");
        try
        {
            var settings = new SystemSettings { RedisDataDirectory = data.FullName, TickInterval = TimeSpan.FromMilliseconds(100) };
            (string Epoch, long Sequence) before;
            await using (var first = await RunningSystem.StartAsync(settings, Cancellation))
            {
                before = await LastTickAsync(first);
            }

            await using var second = await RunningSystem.StartAsync(settings, Cancellation);
            var after = await LastTickAsync(second);

            Assert.Equal(before.Epoch, after.Epoch);
            Assert.True(after.Sequence > before.Sequence, $"tick {after.Sequence} after the restart, {before.Sequence} before it");
        }
        finally
        {
            data.Delete(recursive: true);
        }

        static async Task<(string Epoch, long Sequence)> LastTickAsync(RunningSystem system)
        {
            using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            await using var client = await SseTestClient.ConnectAsync(http, new Uri(system.WebFrontendUrl, "/events"), Cancellation);
            var tick = (await client.WaitForTicksAsync(1, Timeout, Cancellation)).Last(e => e.Type == "tick");
            return (tick.Epoch, tick.Sequence);
        }
    }

    [Fact]
    public async Task TheOneUrlServesThePage()
    {
        await using var system = await RunningSystem.StartAsync(new SystemSettings(), Cancellation);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var html = await http.GetStringAsync(system.WebFrontendUrl, Cancellation);

        Assert.Contains("<output id=\"counter\"", html, StringComparison.Ordinal);
    }
}
