using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.TestSupport;

/// <summary>
/// Makes a replica certainly miss ticks on pub/sub. Killing its subscription alone is a race: it
/// usually reconnects before the next tick. So the replica is frozen while Redis drops every
/// pub/sub connection and <c>ticks</c> more are published; it notices only when it runs again.
/// </summary>
public static class SubscriptionGap
{
    /// <returns>How many pub/sub connections Redis closed (every replica's, and the EventService's).</returns>
    public static async Task<long> CreateAsync(IDatabase redis, Func<IDisposable> freeze, string replica, int ticks, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using (freeze())
        {
            var counter = (long)await redis.StringGetAsync(TickRedisKeys.Counter);
            var killed = (long)await redis.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
            await Eventually.WaitAsync(async () => (long)await redis.StringGetAsync(TickRedisKeys.Counter),
                now => now >= counter + ticks, timeout, $"{ticks} ticks to be published while {replica} is frozen", cancellationToken);
            return killed;
        }
    }
}
