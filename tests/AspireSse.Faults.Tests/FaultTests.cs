using System.Text.RegularExpressions;
using AspireSse.Launcher.Topology;
using AspireSse.ServiceDefaults.Ticks;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// Real processes, real faults, 50+ browser-like clients through the gateway: every client must see
/// every tick exactly once and in order. One class, so the scenarios run one after another.
/// </summary>
public sealed class FaultTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientsLoseNothingWhenAReplicaIsKilled()
    {
        await using var run = await FaultRun.StartAsync(Cancellation);

        await run.Topology.Frontends[0].KillAsync();

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "replica-sigkill");
        Assert.Contains(run.Clients, c => c.Connections > 1);
    }

    [Fact]
    public async Task ClientsLoseNothingThroughARollingRestartOfEveryReplica()
    {
        await using var run = await FaultRun.StartAsync(Cancellation);

        foreach (var replica in run.Topology.Frontends)
        {
            await replica.StopAsync(TimeSpan.FromSeconds(20));
            replica.Start();
            await replica.WaitHealthyAsync(FaultRun.Timeout, Cancellation);
        }

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "rolling-restart");
        Assert.All(run.Clients, c => Assert.True(c.Connections > 1, "every client was handed over at least once"));
    }

    [Fact]
    public async Task ClientsLoseNothingWhenRedisRestarts()
    {
        await using var run = await FaultRun.StartAsync(Cancellation);

        await run.Topology.Redis.StopAsync(TimeSpan.FromSeconds(10));
        run.Topology.Redis.Start();
        await run.Topology.Redis.WaitReadyAsync(FaultRun.Timeout, Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "redis-restart");
        Assert.All(run.Clients, c => Assert.Equal(0, c.Resets));
    }

    [Fact]
    public async Task ClientsLoseNothingWhenTheSubscriberConnectionsAreKilledInRedis()
    {
        await using var run = await FaultRun.StartAsync(Cancellation);
        // The others reconnect at once and may miss nothing; the frozen one certainly misses ticks,
        // so its clients depend on the backfill.
        var frozen = run.Topology.Frontends[0];
        var killed = await SubscriptionGap.CreateAsync(await run.RedisAsync(), frozen, ticks: 5, FaultRun.Timeout, Cancellation);

        Assert.True(killed >= run.Topology.Frontends.Count, $"killed {killed} pub/sub connection(s)");
        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "pubsub-client-kill");
        await Eventually.WaitAsync(() => Task.FromResult(frozen.RecentOutput), o => Regex.IsMatch(o, @"Filled [1-9][0-9]* missed tick"),
            FaultRun.Timeout, $"{frozen.Name} to log that it filled the ticks it missed from history", Cancellation);
    }

    [Fact]
    public async Task ClientsLoseNothingWhenTheLeadingEventServiceDies()
    {
        await using var run = await FaultRun.StartAsync(Cancellation, configure: o => o.EventServices = 2);
        var redis = await run.RedisAsync();
        var token = (string)(await redis.StringGetAsync(TickRedisKeys.Leader))!;
        var leader = run.Topology.EventServices.Single(e => token.Contains($"-{e.Pid}-", StringComparison.Ordinal));

        await leader.KillAsync();

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "leader-sigkill");
        var newToken = (string)(await redis.StringGetAsync(TickRedisKeys.Leader))!;
        Assert.NotEqual(token, newToken);
    }

    [Fact]
    public async Task StalledClientIsCutAndResumesWithoutLossWhileOthersAreUnaffected()
    {
        await using var run = await FaultRun.StartAsync(Cancellation);
        // The stalled client gets a replica of its own, outside the gateway, with small socket buffers
        // and a short queue so that it overflows in seconds. The gateway's replicas keep the defaults,
        // so the only client that can be cut is the stalled one, however busy the machine is.
        var settings = new Dictionary<string, string?>(FaultRun.WebFrontendSettings)
        {
            ["TickStream__ClientQueueCapacity"] = "16",
            ["TickStream__SocketSendBufferBytes"] = "4096",
            ["Kestrel__Limits__MaxResponseBufferSize"] = "4096",
        };
        await using var own = SseTopology.CreateWebFrontend(run.Topology.Redis, "webfrontend-stalled", settings, static (_, _) => { });
        own.Start();
        await own.WaitHealthyAsync(FaultRun.Timeout, Cancellation);

        var stalled = run.AddClient(receiveBufferBytes: 1024, server: own.Url);
        await Eventually.WaitAsync(() => Task.FromResult(stalled.Ticks.Count), n => n > 0, FaultRun.Timeout, "the stalled client's first tick", Cancellation);

        await stalled.PauseReadingAsync();
        await Eventually.WaitAsync(
            () => Task.FromResult(own.RecentOutput.Split('\n').Count(l => l.Contains("slow client", StringComparison.Ordinal))),
            cuts => cuts > 0, FaultRun.Timeout, "its replica to cut the stalled client", Cancellation);
        stalled.ResumeReading();

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "stalled-client");
        Assert.True(stalled.Connections > 1, "the stalled client reconnected after being cut");
        Assert.All(run.Topology.Frontends, f => Assert.DoesNotContain("slow client", f.RecentOutput, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryClientIsToldWhenRedisRestartsEmpty()
    {
        await using var run = await FaultRun.StartAsync(Cancellation, configure: o => o.RedisPersistence = false);
        var redis = await run.RedisAsync();
        var oldEpoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;

        await run.Topology.Redis.StopAsync(TimeSpan.FromSeconds(10));
        run.Topology.Redis.Start();
        await run.Topology.Redis.WaitReadyAsync(FaultRun.Timeout, Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        report.Publish("redis-restart-empty");
        var newEpoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;
        Assert.NotEqual(oldEpoch, newEpoch);
        Assert.All(run.Clients, c =>
        {
            Assert.True(c.Resets >= 1, "every client gets a reset event");
            Assert.Equal(newEpoch, c.Ticks[^1].Epoch);
        });
        Assert.Equal((0L, 0L, 0L), (report.Lost, report.Duplicated, report.Reordered));
    }

    private static void AssertNothingLost(DeliveryReport report, string scenario)
    {
        report.Publish(scenario);
        Assert.True(report.Clients >= 50);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(0, report.Reordered);
    }
}
