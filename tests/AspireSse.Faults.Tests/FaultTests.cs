using System.Text.RegularExpressions;
using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// The AppHost's system, real faults, 50+ browser-like clients through the one WebFrontend URL: every
/// client must see every tick exactly once and in order.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class FaultTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsLoseNothingWhenAReplicaIsKilled(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation);

        await run.System.KillAsync(run.System.WebFrontends[0], Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "replica-sigkill", run);
        Assert.Contains(run.Clients, c => c.Connections > 1);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsLoseNothingThroughARollingRestartOfEveryReplica(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation);

        // The dashboard's Restart command, one replica after another, each healthy before the next.
        foreach (var replica in run.System.WebFrontends)
        {
            await run.System.RestartAsync(replica, Cancellation);
        }

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "rolling-restart", run);
        Assert.All(run.Clients, c => Assert.True(c.Connections > 1, "every client was handed over at least once"));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsLoseNothingWhenRedisRestarts(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation);

        await run.System.RestartRedisAsync(keepData: true, Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "redis-restart", run);
        Assert.All(run.Clients, c => Assert.Equal(0, c.Resets));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsLoseNothingWhenTheSubscriberConnectionsAreKilledInRedis(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation);
        // The others reconnect at once and may miss nothing; the frozen one certainly misses ticks,
        // so its clients depend on the backfill.
        var frozen = run.System.WebFrontends[0];
        var killed = await SubscriptionGap.CreateAsync(await run.System.RedisAsync(Cancellation), () => run.System.Freeze(frozen),
            frozen.ResourceId, ticks: 5, FaultRun.Timeout, Cancellation);

        Assert.True(killed >= run.System.WebFrontends.Count, $"killed {killed} pub/sub connection(s)");
        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "pubsub-client-kill", run);
        await run.System.WaitForLogAsync(frozen, line => Regex.IsMatch(line, @"Filled [1-9][0-9]* missed tick"),
            $"{frozen.ResourceId} to log that it filled the ticks it missed from history", Cancellation);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsLoseNothingWhenTheLeadingEventServiceDies(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation);
        var redis = await run.System.RedisAsync(Cancellation);
        var token = (string)(await redis.StringGetAsync(TickRedisKeys.Leader))!;
        var leader = Assert.Single(run.System.EventServices,
            e => token.Contains($"-{run.System.ProcessIdOf(e)}-", StringComparison.Ordinal));

        await run.System.KillAsync(leader, Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "leader-sigkill", run);
        var newToken = (string)(await redis.StringGetAsync(TickRedisKeys.Leader))!;
        Assert.NotEqual(token, newToken);
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task StalledClientIsCutAndResumesWithoutLossWhileOthersAreUnaffected(FastPathMode fastPath)
    {
        // The stalled client gets a WebFrontend of its own, outside the shared URL, with small socket
        // buffers and a short queue so that it overflows in seconds. The shared replicas keep the
        // defaults, so the only client that can be cut is the stalled one, however busy the machine is.
        const string Own = "webfrontend-stalled";
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation, configure: s => s.ExtraWebFrontends[Own] = new()
        {
            ["TickStream__ClientQueueCapacity"] = "16",
            ["TickStream__SocketSendBufferBytes"] = "4096",
            ["Kestrel__Limits__MaxResponseBufferSize"] = "4096",
        });
        var own = Assert.Single(run.System.Instances(Own));

        var stalled = run.AddClient(receiveBufferBytes: 1024, server: own.Url);
        await Eventually.WaitAsync(() => Task.FromResult(stalled.Ticks.Count), n => n > 0, FaultRun.Timeout, "the stalled client's first tick", Cancellation);

        await stalled.PauseReadingAsync();
        await run.System.WaitForLogAsync(own, line => line.Contains("slow client", StringComparison.Ordinal),
            "its replica to cut the stalled client", Cancellation);
        stalled.ResumeReading();

        var report = await run.WaitForRecoveryAsync(Cancellation);
        AssertNothingLost(report, "stalled-client", run);
        Assert.True(stalled.Connections > 1, "the stalled client reconnected after being cut");
        foreach (var replica in run.System.WebFrontends)
        {
            Assert.DoesNotContain("slow client", await run.System.LogsOfAsync(replica, Cancellation), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task EveryClientIsToldWhenRedisRestartsEmpty(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation);
        var redis = await run.System.RedisAsync(Cancellation);
        var oldEpoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;

        await run.System.RestartRedisAsync(keepData: false, Cancellation);

        var report = await run.WaitForRecoveryAsync(Cancellation);
        report.Publish(run.Scenario("redis-restart-empty"), run.ProxyLine());
        var newEpoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;
        Assert.NotEqual(oldEpoch, newEpoch);
        Assert.All(run.Clients, c =>
        {
            Assert.True(c.Resets >= 1, "every client gets a reset event");
            Assert.Equal(newEpoch, c.Ticks[^1].Epoch);
        });
        Assert.Equal((0L, 0L, 0L), (report.Lost, report.Duplicated, report.Reordered));
    }

    [Fact]
    public async Task EveryClientIsToldAndGoesOnWhenRedisComesBackWithOlderData()
    {
        // The fault is below the relays, so the fast path makes no difference to it: run once.
        await using var run = await FaultRun.StartAsync(FastPathMode.On, Cancellation);
        var redis = await run.System.RedisAsync(Cancellation);
        var oldEpoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;
        using var older = run.System.CopyRedisData();
        var copiedAt = (long)await redis.StringGetAsync(TickRedisKeys.Counter);
        // Clients see ticks the copy does not hold: a restart from it takes back what they saw.
        await Eventually.WaitAsync(() => Task.FromResult(run.Clients.Count(c => c.LastSequence < copiedAt + 100)), behind => behind == 0,
            FaultRun.Timeout, $"every client to see tick {copiedAt + 100} (count = clients behind)", Cancellation);

        await run.System.RestartRedisFromAsync(older, Cancellation);

        // Until the rollback is noticed the clients are ahead of Redis's count: recovery is measured in the new epoch.
        var newEpoch = await Eventually.WaitAsync(async () => (string?)await redis.StringGetAsync(TickRedisKeys.Epoch),
            e => e is not null && e != oldEpoch, FaultRun.Timeout, $"a new epoch after Redis came back behind {oldEpoch}-{copiedAt + 100}",
            Cancellation);
        var report = await run.WaitForRecoveryAsync(Cancellation);
        var content = await TickContent.CheckAsync(run.Clients, redis);
        report.Publish(run.Scenario("redis-rollback"), $"{content.Line} resets={run.Clients.Sum(c => c.Resets)} {run.ProxyLine()}");
        Assert.All(run.Clients, c =>
        {
            Assert.True(c.Resets >= 1, "every client gets a reset event");
            Assert.Equal(newEpoch, c.Ticks[^1].Epoch);
        });
        Assert.Equal((0L, 0L, 0L), (report.Lost, report.Duplicated, report.Reordered));
        Assert.Equal(0, content.Rewritten);
        Assert.True(content.HistoryChecked > 0, "the clients' ticks were checked against the history");
        // The longest gap spans Redis's own stop and start too; without the rollback check it is the
        // time the count takes to pass the ticks that were lost, however long that is.
        Assert.True(content.LongestGap < TimeSpan.FromSeconds(10), $"the longest silence was {content.LongestGap.TotalMilliseconds:F0} ms");
    }

    private static void AssertNothingLost(DeliveryReport report, string scenario, FaultRun run)
    {
        report.Publish(run.Scenario(scenario), run.ProxyLine());
        Assert.True(report.Clients >= 50);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(0, report.Reordered);
    }
}
