using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

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
            .WithSummary("This replica's id, its number of open /events streams, and the last tick it relayed.")
            // It shows where the count stands: whoever may not read the stream may not read that either.
            .RequireStreamAuthorization(endpoints);
        return endpoints;
    }

    private static JsonHttpResult<TickStreamStats> GetStats(HttpContext context, TickBroadcaster broadcaster, ReplicaIdentity replica,
        RelayMetrics metrics)
    {
        // A snapshot that is stale the moment it is read: a cache must not make it staler.
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(
            new TickStreamStats(replica.Id, broadcaster.ClientCount, broadcaster.Epoch, broadcaster.LastSequence,
                metrics.Writes, metrics.EventsWritten, metrics.Opened, metrics.Replays),
            TickStatsJsonContext.Default.TickStreamStats);
    }
}
