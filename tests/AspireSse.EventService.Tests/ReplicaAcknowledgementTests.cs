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
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATickWhoseConnectionIsLostBetweenItsWriteAndItsWaitIsNotReleasedUntilTheReplicaHoldsIt()
    {
        await using var system = await PublisherWithReplica.StartAsync();

        var second = system.Tick(2);
        using (system.Replica.Freeze())
        {
            // The replica still counts as connected, but holds nothing written from now on. The WAIT
            // after the write runs on a new connection, which has written nothing itself.
            system.Connection.InterruptAfterNextScript();
            Assert.Equal(PublishOutcome.NotAcknowledged, await system.PublishAsync(second));
            Assert.Equal(2, await system.OnPrimaryAsync(TickRedisKeys.Counter));
            Assert.Equal(1, await system.OnPrimaryAsync(TickRedisKeys.Published));
        }

        await system.WaitUntilReleasedAsync(second);
    }

    [Fact]
    public async Task ATickIsNotReleasedWhileTheReplicaLacksItEvenWhenItsWaitAnswersThatItHoldsIt()
    {
        await using var system = await PublisherWithReplica.StartAsync();

        var second = system.Tick(2);
        using (system.Replica.Freeze())
        {
            system.Connection.AnswerNextWaitAtOnce();
            Assert.Equal(PublishOutcome.NotAcknowledged, await system.PublishAsync(second));
            Assert.Equal(1, await system.OnPrimaryAsync(TickRedisKeys.Published));
        }

        await system.WaitUntilReleasedAsync(second);
    }

    /// <summary>
    /// A primary, its replica in sync, and a publisher on the primary through an <see cref="InterruptibleConnection"/>,
    /// holding the lease, with tick 1 released.
    /// </summary>
    private sealed class PublisherWithReplica : IAsyncDisposable
    {
        private const int HistoryLength = 100;
        private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
        private static readonly TimeSpan AcknowledgementTimeout = TimeSpan.FromMilliseconds(200);

        private readonly List<IAsyncDisposable> _owned = [];
        private RedisServer _primary = null!;
        private ConnectionMultiplexer _primaryAdmin = null!;
        private ConnectionMultiplexer _replicaAdmin = null!;
        private TickPublisher _publisher = null!;
        private string _epoch = null!;

        public RedisServer Replica { get; private set; } = null!;

        public InterruptibleConnection Connection { get; private set; } = null!;

        public static async Task<PublisherWithReplica> StartAsync()
        {
            var system = new PublisherWithReplica();
            try
            {
                system._primary = system.Own(await StartRedisAsync());
                system.Replica = system.Own(await StartRedisAsync());
                system._primaryAdmin = system.Own(await TestRedisClient.ConnectAsync(system._primary));
                system._replicaAdmin = system.Own(await TestRedisClient.ConnectAsync(system.Replica));
                await system.ReplicateAsync();
                system.Connection = system.Own(await InterruptibleConnection.ConnectAsync(system._primary.ConnectionString));
                system._publisher = new TickPublisher(system.Connection.Multiplexer);
                Assert.True((await system._publisher.AcquireOrRenewLeaseAsync(Lease)).IsLeader);
                system._epoch = (await system._publisher.EnsureEpochAsync()).Epoch;
                Assert.Equal(PublishOutcome.Published, await system.PublishAsync(system.Tick(1)));
                return system;
            }
            catch
            {
                await system.DisposeAsync();
                throw;
            }
        }

        public Tick Tick(long sequence) => new(_epoch, sequence, DateTimeOffset.UtcNow);

        public Task<PublishOutcome> PublishAsync(Tick tick) =>
            _publisher.PublishAcknowledgedAsync(tick, HistoryLength, Lease, replicas: 1, AcknowledgementTimeout);

        public async Task<long> OnPrimaryAsync(RedisKey key) => (long)await _primaryAdmin.GetDatabase().StringGetAsync(key);

        /// <summary>Tries the held tick again until it is released; then the replica holds it.</summary>
        public async Task WaitUntilReleasedAsync(Tick tick)
        {
            await Eventually.WaitAsync(() => PublishAsync(tick), outcome => outcome == PublishOutcome.Published,
                Eventually.Timeout, $"tick {tick.Sequence} to be released once the replica runs again", Cancellation);
            Assert.Equal(tick.Sequence, (long)await _replicaAdmin.GetDatabase().StringGetAsync(TickRedisKeys.Counter));
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                await _owned[i].DisposeAsync();
            }
        }

        private T Own<T>(T disposable) where T : IAsyncDisposable
        {
            _owned.Add(disposable);
            return disposable;
        }

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

        private async Task ReplicateAsync()
        {
            var server = _replicaAdmin.GetServer("127.0.0.1", Replica.Port);
            await server.ConfigSetAsync("masterauth", _primary.Password);
            await server.ExecuteAsync("REPLICAOF", "127.0.0.1", _primary.Port);
            await Eventually.WaitAsync(async () => await server.RoleAsync(), role => role is Role.Replica { State: "connected" },
                Eventually.Timeout, "the replica to be in sync with the primary", Cancellation);
        }
    }
}
