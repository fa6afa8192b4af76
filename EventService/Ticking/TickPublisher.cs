using System.Text.Json;
using AspireSse.ServiceDefaults.Ticks;
using StackExchange.Redis;

namespace AspireSse.EventService.Ticking;

/// <summary>Outcome of one publish attempt.</summary>
/// <param name="Published">False when the counter was not where the publisher expected it.</param>
/// <param name="Counter">After success, the new sequence; otherwise the counter found in Redis.</param>
/// <param name="Receivers">How many subscribers (frontend processes) Redis delivered the tick to.</param>
public readonly record struct PublishResult(bool Published, long Counter, long Receivers);

/// <summary>
/// Writes one tick to Redis atomically: counter, history stream and pub/sub channel move together
/// or not at all, so a subscriber that misses the live message can always find it in the stream.
/// </summary>
public sealed class TickPublisher(IConnectionMultiplexer redis)
{
    // The publisher names the sequence it wants to write and the script refuses unless the counter is
    // exactly one behind. That makes a retried or duplicated call harmless (it cannot publish the
    // same number twice) and tells the publisher at once when the counter moved under it.
    // XADD runs before INCR: if the stream rejects the id, nothing has changed.
    private static readonly LuaScript PublishScript = LuaScript.Prepare(
        """
        local current = tonumber(redis.call('GET', @counter) or '0')
        if current + 1 ~= tonumber(@sequence) then
          return {0, current, 0}
        end
        redis.call('XADD', @stream, 'MAXLEN', '~', @historyLength, @sequence .. '-0', @field, @payload)
        redis.call('SET', @counter, @sequence)
        local receivers = redis.call('PUBLISH', @channel, @payload)
        return {1, tonumber(@sequence), receivers}
        """);

    public async Task<long> ReadCounterAsync()
    {
        var value = await redis.GetDatabase().StringGetAsync(TickRedisKeys.Counter);
        return value.IsNull ? 0 : (long)value;
    }

    public async Task<PublishResult> PublishAsync(Tick tick, int historyLength)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(tick, TickJsonContext.Default.Tick);
        var result = await redis.GetDatabase().ScriptEvaluateAsync(PublishScript, new
        {
            counter = TickRedisKeys.Counter,
            stream = TickRedisKeys.Stream,
            sequence = tick.Sequence,
            historyLength,
            field = TickRedisKeys.StreamField,
            payload,
            channel = (RedisValue)TickRedisKeys.Channel.ToString(),
        });

        var values = (RedisResult[])result!;
        return new PublishResult((long)values[0] == 1, (long)values[1], (long)values[2]);
    }
}
