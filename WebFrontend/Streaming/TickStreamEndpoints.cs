using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using AspireSse.WebFrontend.Relay;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

public static class TickStreamEndpoints
{
    /// <summary>Maps <c>GET /events</c>: the live tick stream as Server-Sent Events.</summary>
    public static IEndpointRouteBuilder MapTickStream(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/events", StreamTicks)
            .WithName("TickStream")
            .WithSummary("Live counter ticks as Server-Sent Events (hello, tick, heartbeat).");
        return endpoints;
    }

    private static ServerSentEventsResult<string> StreamTicks(TickBroadcaster broadcaster, HttpContext context)
    {
        // nginx and some other proxies buffer responses unless told not to; a buffered SSE stream
        // delivers nothing until the buffer fills.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(ReadEvents(broadcaster, context, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> ReadEvents(
        TickBroadcaster broadcaster,
        HttpContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var client = broadcaster.Connect();
        // A client that fell behind is dropped at the connection, not just at the queue: its socket
        // may be stalled, and only aborting frees what the server holds for it.
        using var cut = client.Cut.Register(static state => ((HttpContext)state!).Abort(), context);

        await foreach (var item in client.Events.ReadAllAsync(cancellationToken))
        {
            yield return item;
        }
    }
}
