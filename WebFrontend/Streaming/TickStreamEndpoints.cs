using System.Globalization;
using AspireSse.ServiceDefaults.Ticks;
using AspireSse.WebFrontend.Relay;
using Microsoft.AspNetCore.Http.HttpResults;
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
        RelayMetrics metrics,
        TimeProvider time,
        IOptions<TickStreamOptions> options,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader,
        [FromQuery] string? lastEventId)
    {
        // The header wins: it is what the browser sends on reconnect, after the query's id is stale.
        var requested = lastEventIdHeader ?? lastEventId;
        TickId? resumeAfter = null;
        if (requested is not null)
        {
            if (!TickId.TryParse(requested, out var error, out var id))
            {
                return InvalidId(error);
            }

            resumeAfter = id;
        }

        if (broadcaster.ClientCount >= options.Value.MaxClients)
        {
            // A jittered Retry-After spreads the retries of everyone turned away at once.
            context.Response.Headers.RetryAfter = Random.Shared.Next(1, 6).ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                $"This replica already serves its maximum of {options.Value.MaxClients} streams. Retry later.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Too many streams");
        }

        var client = broadcaster.Connect();
        if (resumeAfter is { } resume && client.StartEpoch is { } epoch
            && (resume.Epoch is null || resume.Epoch == epoch) && resume.Sequence > client.StartSequence)
        {
            // Ahead of this replica. Another replica may simply be a few ms ahead; only an id beyond
            // what was ever published is an error.
            var (currentEpoch, counter) = await history.ReadPositionAsync();
            if (currentEpoch == epoch && resume.Sequence > counter)
            {
                client.Dispose();
                return InvalidId($"'{requested}' is ahead of the latest tick ({new TickId(epoch, counter)}).");
            }
        }

        return new TickStreamResult(client, resumeAfter, broadcaster, history, metrics, time, options.Value);
    }

    private static ProblemHttpResult InvalidId(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid Last-Event-ID");
}
