using System.Diagnostics;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using StackExchange.Redis;

namespace AspireSse.Faults.Tests;

/// <summary>
/// What the clients' ticks said, beyond their ids: a tick is <em>rewritten</em> when the content one
/// client saw for an id (its <c>publishedAt</c>, set once by the publisher) differs from what another
/// client saw or what the history holds for that id afterwards — a tick a failover took back and
/// replaced. And the longest any client went without a tick.
/// </summary>
internal sealed record TickContent(long Rewritten, long HistoryChecked, TimeSpan LongestGap)
{
    public static async Task<TickContent> CheckAsync(IReadOnlyList<SseTestClient> clients, IDatabase redis)
    {
        var seen = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var longestGap = TimeSpan.Zero;
        foreach (var client in clients)
        {
            long? previous = null;
            foreach (var (_, id, data, receivedAt) in client.Ticks)
            {
                Add(seen, id!, PublishedAt(data));
                if (previous is { } last && Stopwatch.GetElapsedTime(last, receivedAt) is var gap && gap > longestGap)
                {
                    longestGap = gap;
                }

                previous = receivedAt;
            }
        }

        // The history as it stands after the fault, on whichever node is the primary now.
        var epoch = (string?)await redis.StringGetAsync(TickRedisKeys.Epoch);
        long historyChecked = 0;
        foreach (var entry in await redis.StreamRangeAsync(TickRedisKeys.Stream))
        {
            var id = $"{epoch}-{((string)entry.Id!).Split('-')[0]}";
            if (seen.ContainsKey(id))
            {
                historyChecked++;
                Add(seen, id, PublishedAt(entry[TickRedisKeys.StreamField]!));
            }
        }

        return new TickContent(seen.Count(s => s.Value.Count > 1), historyChecked, longestGap);
    }

    /// <summary>The part of the scenario's line after <c>reordered=</c>.</summary>
    public string Line => $"rewritten={Rewritten} longest-gap-ms={LongestGap.TotalMilliseconds:F0}";

    private static void Add(Dictionary<string, HashSet<string>> seen, string id, string publishedAt)
    {
        if (!seen.TryGetValue(id, out var values))
        {
            seen[id] = values = new HashSet<string>(StringComparer.Ordinal);
        }

        values.Add(publishedAt);
    }

    private static string PublishedAt(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("publishedAt").GetDateTimeOffset().UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
