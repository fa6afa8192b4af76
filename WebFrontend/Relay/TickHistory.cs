using System.Runtime.CompilerServices;
using System.Text.Json;
using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>Reads the EventService's record of ticks: epoch, counter and the history stream.</summary>
public sealed partial class TickHistory(IConnectionMultiplexer redis, ILogger<TickHistory> logger)
{
    private const int PageSize = 500;

    /// <summary>The current epoch (null when nothing was ever published) and last sequence.</summary>
    public async Task<(string? Epoch, long Counter)> ReadPositionAsync()
    {
        var db = redis.GetDatabase();
        var epoch = db.StringGetAsync(TickRedisKeys.Epoch);
        var counter = db.StringGetAsync(TickRedisKeys.Counter);
        await Task.WhenAll(epoch, counter);
        return (epoch.Result.IsNull ? null : (string)epoch.Result!, counter.Result.IsNull ? 0 : (long)counter.Result);
    }

    /// <summary>The oldest retained sequence, or null when the history is empty.</summary>
    public async Task<long?> OldestAsync()
    {
        var first = await redis.GetDatabase().StreamRangeAsync(TickRedisKeys.Stream, "-", "+", count: 1);
        return first.Length == 0 ? null : SequenceOf(first[0].Id);
    }

    /// <summary>Retained ticks from <paramref name="from"/> to <paramref name="to"/>, in order.</summary>
    public async IAsyncEnumerable<Tick> ReadAsync(long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var db = redis.GetDatabase();
        var next = from;
        while (next <= to)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await db.StreamRangeAsync(TickRedisKeys.Stream, $"{next}-0", $"{to}-0", count: PageSize);
            if (page.Length == 0)
            {
                yield break;
            }

            foreach (var entry in page)
            {
                next = SequenceOf(entry.Id) + 1;
                if (Parse(entry) is { } tick)
                {
                    yield return tick;
                }
            }
        }
    }

    private Tick? Parse(StreamEntry entry)
    {
        var json = entry[TickRedisKeys.StreamField];
        try
        {
            return json.IsNull ? null : JsonSerializer.Deserialize((ReadOnlySpan<byte>)json, TickJsonContext.Default.Tick);
        }
        catch (JsonException ex)
        {
            LogMalformed(ex, (string)entry.Id!);
            return null;
        }
    }

    private static long SequenceOf(RedisValue id)
    {
        var text = (string)id!;
        return long.Parse(text.AsSpan(0, text.IndexOf('-', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped history entry {Id}: it is not a valid tick")]
    private partial void LogMalformed(Exception exception, string id);
}
