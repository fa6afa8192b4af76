using AspireSse.Contracts;
using AspireSse.EventService.Ticking;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;
using StackExchange.Redis;

namespace AspireSse.EventService.Tests;

/// <summary>
/// The EventService's publisher against a real primary and its replica: a tick is released to readers
/// only once the replica holds it, whatever happens to the publisher's connection on the way.
/// </summary>
public sealed class ReplicaAcknowledgementTests
{
    private const int HistoryLength = 100;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AcknowledgementTimeout = TimeSpan.FromMilliseconds(200);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATickWhoseConnectionIsLostBetweenItsWriteAndItsWaitIsNotReleasedUntilTheReplicaHoldsIt()
    {
        await using var primary = await StartRedisAsync();
        await using var replica = await StartRedisAsync();
        await using var admin = await TestRedisClient.ConnectAsync(primary);
        await using var replicaAdmin = await TestRedisClient.ConnectAsync(replica);
        await ReplicateAsync(replicaAdmin, replica, primary);

        await using var connection = await InterruptibleConnection.ConnectAsync(primary.ConnectionString);
        var publisher = new TickPublisher(connection.Multiplexer);
        Assert.True((await publisher.AcquireOrRenewLeaseAsync(Lease)).IsLeader);
        var epoch = (await publisher.EnsureEpochAsync()).Epoch;
        Assert.Equal(PublishOutcome.Published, await PublishAsync(publisher, new Tick(epoch, 1, DateTimeOffset.UtcNow)));

        var second = new Tick(epoch, 2, DateTimeOffset.UtcNow);
        using (replica.Freeze())
        {
            // The replica still counts as connected, but holds nothing written from now on. The WAIT
            // after the write runs on a new connection, which has written nothing itself.
            connection.InterruptAfterNextScript();
            Assert.Equal(PublishOutcome.NotAcknowledged, await PublishAsync(publisher, second));
            Assert.Equal(2, (long)await admin.GetDatabase().StringGetAsync(TickRedisKeys.Counter));
            Assert.Equal(1, (long)await admin.GetDatabase().StringGetAsync(TickRedisKeys.Published));
        }

        // Running again, the replica catches up, and a later attempt releases the held tick.
        await Eventually.WaitAsync(() => PublishAsync(publisher, second), outcome => outcome == PublishOutcome.Published,
            Eventually.Timeout, "the held tick to be released once the replica runs again", Cancellation);
        Assert.Equal(2, (long)await replicaAdmin.GetDatabase().StringGetAsync(TickRedisKeys.Counter));
    }

    private static Task<PublishOutcome> PublishAsync(TickPublisher publisher, Tick tick) =>
        publisher.PublishAcknowledgedAsync(tick, HistoryLength, Lease, replicas: 1, AcknowledgementTimeout);

    private static async Task<RedisServer> StartRedisAsync()
    {
        var redis = RedisServer.Create(static (_, _) => { });
        try
        {
            redis.Start();
            await redis.WaitReadyAsync(ServiceHarness.StartTimeout, Cancellation);
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes <paramref name="replica"/> a replica of <paramref name="primary"/> and waits until it is in sync.</summary>
    private static async Task ReplicateAsync(ConnectionMultiplexer replicaAdmin, RedisServer replica, RedisServer primary)
    {
        var server = replicaAdmin.GetServer("127.0.0.1", replica.Port);
        await server.ConfigSetAsync("masterauth", primary.Password);
        await server.ExecuteAsync("REPLICAOF", "127.0.0.1", primary.Port);
        await Eventually.WaitAsync(async () => await server.RoleAsync(), role => role is Role.Replica { State: "connected" },
            Eventually.Timeout, "the replica to be in sync with the primary", Cancellation);
    }
}
