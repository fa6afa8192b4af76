using AspireSse.SystemTesting;

namespace AspireSse.AppHost.Tests;

/// <summary>The Redis password stays out of reach of the machine's other users. The Sentinel topology is checked in SentinelTopologyTests.</summary>
public sealed class RedisPasswordTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheSingleRedisServersPasswordIsOnNoCommandLineAndOnlyInAFileReadableByItsOwner()
    {
        await using var system = await RunningSystem.StartAsync(new SystemSettings(), Cancellation);
        var password = await RedisPasswordChecks.PasswordAsync(system, Cancellation);

        RedisPasswordChecks.AssertOnNoCommandLine(system, password, [RunningSystem.RedisServer]);
        RedisPasswordChecks.AssertOnlyInOwnerOnlyFiles(system.RedisDataDirectory, password, atLeast: 1);
    }
}
