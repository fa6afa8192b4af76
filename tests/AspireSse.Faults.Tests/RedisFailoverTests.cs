using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// The AppHost's highly available Redis (a primary, a replica, three Sentinels) under faults of its
/// primary and replica, with 50 browser-like clients on the one URL: none may lose, repeat, reorder
/// or see rewritten a single tick.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class RedisFailoverTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task NoTickIsLostOrRewrittenWhenThePrimaryIsKilledAndSentinelPromotesTheReplica(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation, configure: s => s.Sentinel = true);
        var primary = await CurrentPrimaryAsync(run);

        await run.System.KillAsync(primary, Cancellation);
        await WaitForPromotionAsync(run, primary);
        // Back as the new primary's replica (it asks the Sentinels on start), so ticks are acknowledged again.
        await run.System.StartRedisAgainAsync(primary, Cancellation);

        await AssertNothingLostOrRewrittenAsync(run, "redis-failover");
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task NoTickIsLostOrRewrittenWhenThePrimaryHangsPastDownAfterAndComesBackBelievingItLeads(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation, configure: s => s.Sentinel = true);
        var primary = await CurrentPrimaryAsync(run);

        // Frozen until the Sentinels have promoted the replica: longer than down-after by construction.
        string? promoted;
        using (run.System.Freeze(primary))
        {
            promoted = await WaitForPromotionAsync(run, primary);
        }

        // It wakes as a primary with no replica, until the Sentinels make it follow the new one.
        await run.System.WaitUntilReplicaInSyncAsync(primary.ResourceName, promoted!, Cancellation);

        await AssertNothingLostOrRewrittenAsync(run, "redis-hang");
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task NoTickIsLostOrRewrittenWhenSentinelSwitchesThePrimaryOver(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation, configure: s => s.Sentinel = true);
        var primary = await CurrentPrimaryAsync(run);

        await run.System.SwitchOverAsync(Cancellation);
        var promoted = await WaitForPromotionAsync(run, primary);
        await run.System.WaitUntilReplicaInSyncAsync(primary.ResourceName, promoted!, Cancellation);

        await AssertNothingLostOrRewrittenAsync(run, "redis-switchover");
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task TickingPausesWhileTheReplicaIsDownAndGoesOnWithoutLossWhenItReturns(FastPathMode fastPath)
    {
        await using var run = await FaultRun.StartAsync(fastPath, Cancellation, configure: s => s.Sentinel = true);
        var primary = await CurrentPrimaryAsync(run);
        var replica = run.System.Instances(primary.ResourceName == RunningSystem.RedisPrimary ? RunningSystem.RedisReplica : RunningSystem.RedisPrimary).Single();

        await run.System.KillAsync(replica, Cancellation);
        // No tick may be released that only the primary holds: the leader holds the next one back.
        var leader = await Eventually.WaitAsync(
            async () =>
            {
                foreach (var eventService in run.System.EventServices)
                {
                    if ((await run.System.LogsOfAsync(eventService, Cancellation)).Contains("holding it back", StringComparison.Ordinal))
                    {
                        return eventService;
                    }
                }

                return null;
            },
            held => held is not null, FaultRun.Timeout, "the leading EventService to hold a tick back for want of a replica", Cancellation);
        // Degraded, not unhealthy: nothing to restart, and Aspire keeps it in rotation.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            Assert.Equal("Degraded", await http.GetStringAsync(new Uri(leader!.Url, "/health"), Cancellation));
        }

        await run.System.StartRedisAgainAsync(replica, Cancellation);
        await run.System.WaitUntilReplicaInSyncAsync(replica.ResourceName, primary.ResourceName, Cancellation);

        await AssertNothingLostOrRewrittenAsync(run, "redis-replica-down");
    }

    private static async Task<Replica> CurrentPrimaryAsync(FaultRun run)
    {
        var name = await Eventually.WaitAsync(() => run.System.PrimaryNodeAsync(Cancellation), p => p is not null, FaultRun.Timeout,
            "the Sentinels to name the primary", Cancellation);
        return run.System.Instances(name!).Single();
    }

    private static Task<string?> WaitForPromotionAsync(FaultRun run, Replica old) =>
        Eventually.WaitAsync(() => run.System.PrimaryNodeAsync(Cancellation), p => p is not null && p != old.ResourceName, FaultRun.Timeout,
            $"the Sentinels to promote another node than {old.ResourceName}", Cancellation);

    private static async Task AssertNothingLostOrRewrittenAsync(FaultRun run, string scenario)
    {
        var report = await run.WaitForRecoveryAsync(Cancellation);
        var content = await TickContent.CheckAsync(run.Clients, await run.System.RedisAsync(Cancellation));
        report.Publish(run.Scenario(scenario), $"{content.Line} {run.ProxyLine()}");
        Assert.True(report.Clients >= 50);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(0, report.Reordered);
        Assert.Equal(0, content.Rewritten);
        Assert.True(content.HistoryChecked > 0, "the clients' ticks were checked against the history");
    }
}
