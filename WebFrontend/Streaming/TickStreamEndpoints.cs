using System.Globalization;
using AspireSse.WebFrontend.Admission;
using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Mvc;

namespace Microsoft.AspNetCore.Builder;

public static class TickStreamEndpoints
{
    /// <summary>
    /// Maps <c>GET /events</c>: the live tick stream as Server-Sent Events, resumable from
    /// <c>Last-Event-ID</c> (sent by EventSource on reconnect) or <c>?lastEventId=</c> (for a first
    /// connection, which cannot set headers).
    /// </summary>
    /// <remarks>
    /// With the fast path (<c>AddFastPath</c>), a plain HTTP/1.1 connection whose first request is
    /// <c>GET /events</c> is answered before it gets here, unless this endpoint carries metadata that
    /// only the HTTP pipeline honours (<c>FastPathEligibility</c>); this endpoint serves the rest,
    /// and every refusal (400, 503) of both.
    /// </remarks>
    public static IEndpointRouteBuilder MapTickStream(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/events", StreamTicksAsync)
            .WithName("TickStream")
            .WithSummary("Live counter ticks as Server-Sent Events (hello, tick, heartbeat, reset, drain).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            // With StreamAuthorization:ApiKey set, this metadata alone keeps streams off the
            // below-HTTP path (FastPathEligibility).
            .RequireStreamAuthorization(endpoints);
        return endpoints;
    }

    private static async Task<IResult> StreamTicksAsync(
        HttpContext context,
        TickBroadcaster broadcaster,
        TickStreamOpener opener,
        TickStreamWriter writer,
        IStreamOutputFactory outputs,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader,
        [FromQuery] string? lastEventId)
    {
        // The header wins: it is what the browser sends on reconnect, after the query's id is stale.
        var opening = await opener.OpenAsync(lastEventIdHeader ?? lastEventId, context.RequestAborted);
        if (opening.ClientLeft)
        {
            return TypedResults.Empty;
        }

        if (opening.Refusal is { } refusal)
        {
            if (refusal.StatusCode == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = AdmissionLimits.RetryAfterSeconds().ToString(CultureInfo.InvariantCulture);
                // A refused client must not keep its connection: that would hold the slot, and the
                // file, that a health probe needs.
                context.Response.Headers.Connection = "close";
            }

            return TypedResults.Problem(refusal.Detail, statusCode: refusal.StatusCode, title: refusal.Title);
        }

        return new TickStreamResult(opening.Client!, opening.ResumeAfter, broadcaster, writer, outputs);
    }
}
