using System.Globalization;
using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class TickStreamEndpoints
{
    /// <summary>
    /// Maps <c>GET /events</c>: the live tick stream as Server-Sent Events, resumable from
    /// <c>Last-Event-ID</c> (sent by EventSource on reconnect) or <c>?lastEventId=</c> (for a first
    /// connection, which cannot set headers).
    /// </summary>
    /// <remarks>
    /// A plain HTTP/1.1 connection whose first request is <c>GET /events</c> is answered before it
    /// gets here (<see cref="TickStreamConnections"/>); this endpoint serves the rest, and every
    /// refusal (400, 503) of both.
    /// </remarks>
    public static IEndpointRouteBuilder MapTickStream(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/events", StreamTicksAsync)
            .WithName("TickStream")
            .WithSummary("Live counter ticks as Server-Sent Events (hello, tick, heartbeat, reset, drain).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    private static async Task<IResult> StreamTicksAsync(
        HttpContext context,
        TickBroadcaster broadcaster,
        TickHistory history,
        TickStreamWriter writer,
        IOptions<TickStreamOptions> options,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader,
        [FromQuery] string? lastEventId)
    {
        // The header wins: it is what the browser sends on reconnect, after the query's id is stale.
        var opening = await TickStreamOpening.OpenAsync(lastEventIdHeader ?? lastEventId, broadcaster, history, options.Value);
        if (opening.Refusal is { } refusal)
        {
            if (refusal.StatusCode == StatusCodes.Status503ServiceUnavailable)
            {
                // A jittered Retry-After spreads the retries of everyone turned away at once.
                context.Response.Headers.RetryAfter = Random.Shared.Next(1, 6).ToString(CultureInfo.InvariantCulture);
            }

            return TypedResults.Problem(refusal.Detail, statusCode: refusal.StatusCode, title: refusal.Title);
        }

        return new TickStreamResult(opening.Client!, opening.ResumeAfter, writer, options.Value);
    }
}
