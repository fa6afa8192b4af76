using StackExchange.Redis;

namespace AspireSse.Contracts;

/// <summary>
/// The one rule for a Redis that came back with older data than someone saw: a restore, a lost disk,
/// or a server that persisted less than it acknowledged. Its counter is then behind a tick that was
/// already released, and numbering on from there would give old ids new content. Whoever notices —
/// the EventService that released the tick, or a relay that relayed it — retires the epoch, and the
/// EventService starts a new one: clients get a <c>reset</c> and go on, and no id names two ticks.
/// </summary>
public static class TickRollback
{
    // The written counter, not the released mark, is compared: a failover may lose the released
    // mark of the last tick (it is set after the replica acknowledged the write), but never the
    // write itself, so only a real rollback puts the counter behind a tick anyone saw.
    // Deleting the epoch is what Redis losing its data looks like, so the EventService's usual
    // start-again step (TickPublisher.EnsureEpochAsync) begins the new epoch.
    private static readonly LuaScript RetireScript = LuaScript.Prepare(
        """
        if redis.call('GET', @epochKey) ~= @epoch then
          return 0
        end
        if tonumber(redis.call('GET', @counter) or '0') >= tonumber(@sequence) then
          return 0
        end
        redis.call('DEL', @epochKey, @counter, @published, @stream)
        return 1
        """);

    /// <summary>
    /// Retires <paramref name="seen"/>'s epoch when Redis's count in it is behind <paramref name="seen"/>.
    /// </summary>
    /// <returns>True when this call found the rollback and retired the epoch.</returns>
    public static async Task<bool> RetireEpochIfBehindAsync(this IDatabase redis, TickId seen) =>
        seen.Epoch is not null && (int)await redis.ScriptEvaluateAsync(RetireScript, new
        {
            epochKey = TickRedisKeys.Epoch,
            epoch = seen.Epoch,
            counter = TickRedisKeys.Counter,
            published = TickRedisKeys.Published,
            stream = TickRedisKeys.Stream,
            sequence = seen.Sequence,
        }) == 1;
}
