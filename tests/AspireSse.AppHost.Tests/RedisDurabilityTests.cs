using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using AspireSse.SystemTesting;
using Microsoft.Extensions.Logging.Abstractions;

namespace AspireSse.AppHost.Tests;

/// <summary>
/// Every Redis the AppHost runs answers a write only once its append-only file holds it on disk, so a
/// crash and restart never take back a released tick. The Sentinel nodes are checked in SentinelTopologyTests.
/// </summary>
public sealed class RedisDurabilityTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheRedisContainerRunsRedisServerWithAnAppendOnlyFileSyncedOnEveryWrite()
    {
        // The application model only: the container's command is what Aspire hands the container
        // runtime, and no runtime is needed to read it.
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AspireSse_AppHost>(
            ["--Redis:RunAs=container"], Cancellation);
        var redis = builder.Resources.OfType<RedisResource>().Single();

        var arguments = await ExecutionConfigurationBuilder.Create(redis)
            .WithArgumentsConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), NullLogger.Instance, Cancellation);

        // Run through a shell: the arguments become one command line.
        var command = string.Join(' ', arguments.Arguments.Select(a => a.Value));
        Assert.StartsWith("redis-server ", command, StringComparison.Ordinal);
        Assert.Contains(" --appendonly yes --appendfsync always", command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSingleRedisServerRunsWithAnAppendOnlyFileSyncedOnEveryWrite()
    {
        await using var system = await RunningSystem.StartAsync(new SystemSettings(), Cancellation);

        Assert.Equal("yes", await system.ConfigOfAsync(RunningSystem.RedisServer, "appendonly", Cancellation));
        Assert.Equal("always", await system.ConfigOfAsync(RunningSystem.RedisServer, "appendfsync", Cancellation));
    }
}
