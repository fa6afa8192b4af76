using StackExchange.Redis;

namespace AspireSse.Contracts;

/// <summary>
/// Where ticks live in Redis. Both services must agree on these, so they are defined once.
/// </summary>
/// <remarks>
/// The braces form a Redis Cluster hash tag: all keys land in one slot, which the publish script
/// needs because it touches several of them atomically.
/// </remarks>
public static class TickRedisKeys
{
    /// <summary>The current epoch (see <see cref="Tick.Epoch"/>); missing means the numbering must start again.</summary>
    public static readonly RedisKey Epoch = "{aspiresse:ticks}:epoch";

    /// <summary>The single-writer lease: holds the token of the EventService instance allowed to publish.</summary>
    public static readonly RedisKey Leader = "{aspiresse:ticks}:leader";

    /// <summary>The last sequence number written to the stream in the current epoch (a plain integer string).</summary>
    public static readonly RedisKey Counter = "{aspiresse:ticks}:counter";

    /// <summary>
    /// The last sequence number released to readers: published on the channel and safe to replay. It
    /// trails <see cref="Counter"/> by one while a written tick waits for a replica to hold it; no
    /// reader goes past it. Missing (data written before it existed) means the same as the counter.
    /// </summary>
    public static readonly RedisKey Published = "{aspiresse:ticks}:published";

    /// <summary>Capped history of published ticks; entry id <c>&lt;sequence&gt;-0</c>, field <c>tick</c> holds the JSON.</summary>
    public static readonly RedisKey Stream = "{aspiresse:ticks}:stream";

    /// <summary>The stream field that carries a tick's JSON.</summary>
    public const string StreamField = "tick";

    /// <summary>Pub/sub channel every tick is published on.</summary>
    public static readonly RedisChannel Channel = RedisChannel.Literal("aspiresse:ticks");
}
