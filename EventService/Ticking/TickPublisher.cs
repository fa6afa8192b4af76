using System.Security.Cryptography;
using System.Text.Json;
using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.EventService.Ticking;

/// <summary>Outcome of one publish attempt.</summary>
public enum PublishOutcome
{
    Published,

    /// <summary>Another instance holds the lease (or it expired): this one must stop ticking.</summary>
    NotLeader,

    /// <summary>The counter or the epoch is not where the publisher expected: resynchronize.</summary>
    Moved,
}

/// <summary>Where the numbering stands in Redis.</summary>
public readonly record struct TickPosition(string Epoch, long Counter);

/// <summary>
/// Everything the EventService does in Redis, each step one atomic script: take and keep the
/// single-writer lease, find (or start) the epoch, and publish a tick into counter, history stream
/// and channel together.
/// </summary>
public sealed class TickPublisher(IConnectionMultiplexer redis)
{
    // Returns 2 when the lease was just taken, 1 when it was ours and is renewed, 0 when another
    // instance holds it.
    private static readonly LuaScript AcquireOrRenewScript = LuaScript.Prepare(
        """
        local holder = redis.call('GET', @leader)
        if holder == @token then
          redis.call('PEXPIRE', @leader, @leaseMs)
          return 1
        end
        if not holder then
          redis.call('SET', @leader, @token, 'PX', @leaseMs)
          return 2
        end
        return 0
        """);

    private static readonly LuaScript ReleaseScript = LuaScript.Prepare(
        """
        if redis.call('GET', @leader) == @token then
          return redis.call('DEL', @leader)
        end
        return 0
        """);

    // A missing epoch means Redis lost its data (or never had any): start a new epoch from 1 and
    // drop whatever stream or counter is left, so ids can never be confused across the restart.
    private static readonly LuaScript EnsureEpochScript = LuaScript.Prepare(
        """
        local epoch = redis.call('GET', @epochKey)
        if not epoch then
          redis.call('DEL', @counter, @stream)
          redis.call('SET', @epochKey, @candidate)
          epoch = @candidate
        end
        return {epoch, redis.call('GET', @counter) or '0'}
        """);

    // The publisher names the epoch and sequence it wants to write; the script refuses unless it
    // still holds the lease (a deposed leader cannot publish: fencing) and the counter is exactly
    // one behind. So a retried call cannot publish a number twice, and no number is skipped.
    // XADD runs before SET: if the stream rejects the id, nothing has changed.
    private static readonly LuaScript PublishScript = LuaScript.Prepare(
        """
        if redis.call('GET', @leader) ~= @token then
          return 0
        end
        if redis.call('GET', @epochKey) ~= @epoch then
          return 2
        end
        local current = tonumber(redis.call('GET', @counter) or '0')
        if current + 1 ~= tonumber(@sequence) then
          return 2
        end
        redis.call('XADD', @stream, 'MAXLEN', '~', @historyLength, @sequence .. '-0', @field, @payload)
        redis.call('SET', @counter, @sequence)
        redis.call('PEXPIRE', @leader, @leaseMs)
        redis.call('PUBLISH', @channel, @payload)
        return 1
        """);

    /// <summary>This instance's lease token: unique per process start.</summary>
    public string Token { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>Takes the lease if free, renews it if ours. True while this instance is the leader.</summary>
    public async Task<(bool IsLeader, bool JustAcquired)> AcquireOrRenewLeaseAsync(TimeSpan lease)
    {
        var result = (int)await redis.GetDatabase().ScriptEvaluateAsync(AcquireOrRenewScript,
            new { leader = TickRedisKeys.Leader, token = Token, leaseMs = (long)lease.TotalMilliseconds });
        return (result > 0, result == 2);
    }

    public async Task ReleaseLeaseAsync() =>
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, new { leader = TickRedisKeys.Leader, token = Token });

    public async Task<TickPosition> EnsureEpochAsync()
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(EnsureEpochScript, new
        {
            epochKey = TickRedisKeys.Epoch,
            counter = TickRedisKeys.Counter,
            stream = TickRedisKeys.Stream,
            candidate = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
        }))!;
        return new TickPosition((string)result[0]!, (long)result[1]);
    }

    public async Task<PublishOutcome> PublishAsync(Tick tick, int historyLength, TimeSpan lease)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(tick, TickJsonContext.Default.Tick);
        var result = (int)await redis.GetDatabase().ScriptEvaluateAsync(PublishScript, new
        {
            leader = TickRedisKeys.Leader,
            token = Token,
            epochKey = TickRedisKeys.Epoch,
            epoch = tick.Epoch,
            counter = TickRedisKeys.Counter,
            stream = TickRedisKeys.Stream,
            sequence = tick.Sequence,
            historyLength,
            field = TickRedisKeys.StreamField,
            payload,
            leaseMs = (long)lease.TotalMilliseconds,
            channel = (RedisValue)TickRedisKeys.Channel.ToString(),
        });

        return result switch
        {
            1 => PublishOutcome.Published,
            0 => PublishOutcome.NotLeader,
            _ => PublishOutcome.Moved,
        };
    }
}
