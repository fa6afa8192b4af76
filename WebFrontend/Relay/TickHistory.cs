using System.Runtime.CompilerServices;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Admission;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>Reads the EventService's record of ticks: epoch, counter and the history stream.</summary>
public sealed partial class TickHistory(IConnectionMultiplexer redis, TimeProvider time, ILogger<TickHistory> logger)
{
    // Read by the subscriber's backfill, which relays each page to every client at once.
    private const int PageSize = 500;
    // Sampled: a bad entry stays in the history, and every replay across it would log it again.
    private readonly DoublingCount _skipped = new();

    // Never past what this server says was released: a written tick still waiting for a replica, or
    // one that a primary cut off from its replica wrote, is not history yet and may never be. Checked
    // in the same step as the read, on the same server, so a read that lands on a primary that was
    // cut off and came back cannot return what the new primary does not hold.
    private static readonly LuaScript ReadReleasedScript = LuaScript.Prepare(
        """
        local released = tonumber(redis.call('GET', @published) or redis.call('GET', @counter) or '0')
        local last = math.min(tonumber(@to), released)
        if tonumber(@from) > last then
          return {}
        end
        return redis.call('XRANGE', @stream, @from .. '-0', last .. '-0', 'COUNT', @count)
        """);

    /// <summary>The current epoch (null when nothing was ever published) and last released sequence.</summary>
    public async Task<(string? Epoch, long Counter)> ReadPositionAsync()
    {
        var db = redis.GetDatabase();
        var epoch = db.StringGetAsync(TickRedisKeys.Epoch);
        var published = db.StringGetAsync(TickRedisKeys.Published);
        var counter = db.StringGetAsync(TickRedisKeys.Counter);
        await Task.WhenAll(epoch, published, counter);
        var released = published.Result.IsNull ? counter.Result : published.Result;
        return (epoch.Result.IsNull ? null : (string)epoch.Result!, released.IsNull ? 0 : (long)released);
    }

    /// <summary>
    /// Retires the epoch when Redis's count is behind <paramref name="relayed"/>, a tick this replica
    /// relayed: Redis came back with older data (<see cref="TickRollback"/>).
    /// </summary>
    public Task<bool> RetireEpochIfBehindAsync(TickId relayed) => redis.GetDatabase().RetireEpochIfBehindAsync(relayed);

    /// <summary>The oldest retained sequence, or null when the history is empty.</summary>
    public async Task<long?> OldestAsync()
    {
        var first = await redis.GetDatabase().StreamRangeAsync(TickRedisKeys.Stream, "-", "+", count: 1);
        return first.Length == 0 ? null : SequenceOf((string)first[0].Id!);
    }

    /// <summary>
    /// Retained ticks from <paramref name="from"/> to <paramref name="to"/>, in order; each page read
    /// waits for a place in <paramref name="limit"/> when one is given.
    /// </summary>
    public async IAsyncEnumerable<Tick> ReadAsync(long from, long to, HistoryReadLimit? limit = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = from;
        while (next <= to)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await ReadPageAsync(next, to, PageSize, limit, cancellationToken);
            if (page.Next is not { } after)
            {
                yield break;
            }

            foreach (var tick in page.Ticks)
            {
                yield return tick;
            }

            next = after;
        }
    }

    /// <summary>
    /// One read of up to <paramref name="count"/> retained ticks from <paramref name="from"/> to
    /// <paramref name="to"/>, waiting for a place in <paramref name="limit"/> when one is given and
    /// holding it for this read only. What Redis returned is parsed here and let go: a caller keeps
    /// the ticks, not the reply.
    /// </summary>
    public async Task<HistoryPage> ReadPageAsync(long from, long to, int count, HistoryReadLimit? limit,
        CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var entries = limit is null
            ? await ReadEntriesAsync(db, from, to, count)
            : await limit.RunAsync(() => ReadEntriesAsync(db, from, to, count), cancellationToken);
        if (entries.Length == 0)
        {
            return new HistoryPage([], null);
        }

        var ticks = new List<Tick>(entries.Length);
        var next = from;
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            var id = (string)parts[0]!;
            next = SequenceOf(id) + 1;
            if (Parse(id, (RedisResult[])parts[1]!) is { } tick)
            {
                ticks.Add(tick);
            }
        }

        return new HistoryPage(ticks, next);
    }

    private static async Task<RedisResult[]> ReadEntriesAsync(IDatabase db, long from, long to, int count) =>
        (RedisResult[])(await db.ScriptEvaluateAsync(ReadReleasedScript, new
        {
            published = TickRedisKeys.Published,
            counter = TickRedisKeys.Counter,
            stream = TickRedisKeys.Stream,
            from,
            to,
            count,
        }))!;

    private Tick? Parse(string id, RedisResult[] fields)
    {
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if ((string?)fields[i] != TickRedisKeys.StreamField)
            {
                continue;
            }

            Tick? tick;
            try
            {
                tick = JsonSerializer.Deserialize((ReadOnlySpan<byte>)(byte[])fields[i + 1]!, TickJsonContext.Default.Tick);
            }
            catch (JsonException ex)
            {
                Skip(ex, id, "it is not a tick");
                return null;
            }

            // The entry's id is where readers find it: a tick that names another place would be
            // relayed out of order.
            var problem = tick is null ? "it is not a tick"
                : TickValidation.Problem(tick, time.GetUtcNow())
                ?? (tick.Sequence != SequenceOf(id) ? "its sequence is not its entry's" : null);
            if (problem is not null)
            {
                Skip(null, id, problem);
                return null;
            }

            return tick;
        }

        Skip(null, id, $"it has no '{TickRedisKeys.StreamField}' field");
        return null;
    }

    private void Skip(Exception? exception, string id, string problem)
    {
        if (_skipped.Increment(out var count))
        {
            LogSkipped(exception, id, problem, count);
        }
    }

    private static long SequenceOf(string text)
    {
        return long.Parse(text.AsSpan(0, text.IndexOf('-', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped history entry {Id}: {Problem} ({Count} so far)")]
    private partial void LogSkipped(Exception? exception, string id, string problem, long count);
}
