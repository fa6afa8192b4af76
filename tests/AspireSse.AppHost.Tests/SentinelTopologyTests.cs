using Aspire.Hosting.Testing;
using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;
using Xunit;

namespace AspireSse.AppHost.Tests;

/// <summary>The AppHost with <c>Redis:Topology=sentinel</c>, as <c>./run.sh --sentinel</c> runs it.</summary>
public sealed class SentinelTopologyTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APrimaryAReplicaAndThreeSentinelsRunHealthyAsResourcesOfTheirOwnAndTheServicesTickThroughThem()
    {
        await using var system = await RunningSystem.StartAsync(new SystemSettings { Sentinel = true }, Cancellation);

        // Started healthy (the fixture waits for every Redis process), each its own resource.
        Assert.Empty(system.Instances(RunningSystem.RedisServer));
        foreach (var name in (string[])[RunningSystem.RedisPrimary, RunningSystem.RedisReplica, .. RunningSystem.RedisSentinels])
        {
            Assert.True(system.IsRunning(Assert.Single(system.Instances(name))), $"{name} runs");
        }

        // Each node's append-only file holds a write on disk before the node answers it.
        foreach (var node in (string[])[RunningSystem.RedisPrimary, RunningSystem.RedisReplica])
        {
            Assert.Equal("yes", await system.ConfigOfAsync(node, "appendonly", Cancellation));
            Assert.Equal("always", await system.ConfigOfAsync(node, "appendfsync", Cancellation));
        }

        Assert.Equal(RunningSystem.RedisPrimary, await system.PrimaryNodeAsync(Cancellation));
        Assert.Equal($"replica of {RunningSystem.RedisPrimary} connected", await system.RoleOfAsync(RunningSystem.RedisReplica, Cancellation));

        // The services are given the Sentinels, not a node, and find the primary through them.
        var connectionString = await system.App.GetConnectionStringAsync("redis", Cancellation);
        Assert.Contains($"serviceName={RunningSystem.SentinelServiceName}", connectionString, StringComparison.Ordinal);
        Assert.DoesNotContain($":{system.RedisPortOf(RunningSystem.RedisPrimary)},", connectionString + ",", StringComparison.Ordinal);

        // The password is on no command line, and only in files their owner alone can read: the
        // config files the AppHost wrote and those the nodes and Sentinels rewrote themselves.
        var password = await RedisPasswordChecks.PasswordAsync(system, Cancellation);
        string[] processes = [RunningSystem.RedisPrimary, RunningSystem.RedisReplica, .. RunningSystem.RedisSentinels];
        RedisPasswordChecks.AssertOnNoCommandLine(system, password, processes);
        await system.RewriteConfigAsync(RunningSystem.RedisReplica, Cancellation);
        RedisPasswordChecks.AssertOnlyInOwnerOnlyFiles(system.RedisDataDirectory, password, atLeast: processes.Length);

        var redis = await system.RedisAsync(Cancellation);
        var first = (long)await redis.StringGetAsync(TickRedisKeys.Published);
        await Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Published), now => now >= first + 2,
            RunningSystem.Timeout, "ticks to be released through the Sentinel topology", Cancellation);
    }
}
