using System.Text.Json;
using System.Text.Json.Serialization;
using AspireSse.WebFrontend.Relay;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// What one replica is doing right now: who it is, how many streams it serves, where the count
/// stands, how many writes its live events took (events per write above 1 means batching), and
/// how many streams were opened on each path (see <see cref="TickStreamPath"/>).
/// </summary>
public sealed record TickStreamStats(string Replica, int Clients, string? Epoch, long LastSequence, long Writes, long EventsWritten,
    StreamsOpenedCount Opened);

public static class TickStatsEndpoints
{
    /// <summary>
    /// Maps <c>GET /events/stats</c>, read-only. It lets a test (or a curious operator) check how many
    /// streams each replica holds, e.g. that a browser with many tabs opened exactly one, and the
    /// benchmark read how many events went out per write.
    /// </summary>
    public static IEndpointRouteBuilder MapTickStats(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/events/stats", GetStats)
            .WithName("TickStreamStats")
            .WithSummary("This replica's id, its number of open /events streams, and the last tick it relayed.");
        return endpoints;
    }

    private static JsonHttpResult<TickStreamStats> GetStats(HttpContext context, TickBroadcaster broadcaster, ReplicaIdentity replica,
        RelayMetrics metrics)
    {
        // A snapshot that is stale the moment it is read: a cache must not make it staler.
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(
            new TickStreamStats(replica.Id, broadcaster.ClientCount, broadcaster.Epoch, broadcaster.LastSequence,
                metrics.Writes, metrics.EventsWritten, metrics.Opened),
            TickStatsJsonContext.Default.TickStreamStats);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TickStreamStats))]
internal sealed partial class TickStatsJsonContext : JsonSerializerContext;
