using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
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

        // nginx and some other proxies buffer responses unless told not to; a buffered SSE stream
        // delivers nothing until the buffer fills.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(
            WriteEventsAsync(client, resumeAfter, broadcaster, history, metrics, time, context, context.RequestAborted));
    }

    private static ProblemHttpResult InvalidId(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid Last-Event-ID");

    /// <summary>
    /// hello, then (when resuming) the missed ticks from the history stream, then the live queue —
    /// with a cursor so that the seam between replay and live has no gap and no duplicate.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> WriteEventsAsync(
        TickClient client,
        TickId? resumeAfter,
        TickBroadcaster broadcaster,
        TickHistory history,
        RelayMetrics metrics,
        TimeProvider time,
        HttpContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var owned = client;
        // A client that fell behind is dropped at the connection, not just at the queue: its socket
        // may be stalled, and only aborting frees what the server holds for it.
        using var cut = client.Cut.Register(static state => ((HttpContext)state!).Abort(), context);

        if (client.Events.TryRead(out var hello))
        {
            yield return hello.Event;
        }

        var epoch = client.StartEpoch;
        var cursor = client.StartSequence;
        if (resumeAfter is { } resume && epoch is not null)
        {
            var sameEpoch = resume.Epoch is null || resume.Epoch == epoch;
            var after = sameEpoch ? Math.Min(resume.Sequence, client.StartSequence) : 0;
            var oldest = await history.OldestAsync() ?? client.StartSequence + 1;
            if (!sameEpoch || after + 1 < oldest)
            {
                var reset = TickBroadcaster.ResetItem(epoch, oldest, client.StartSequence, sameEpoch ? "history" : "epoch");
                yield return reset.Event;
                after = oldest - 1;
            }

            cursor = after;
            var replayed = 0;
            using (var replay = RelayActivities.StartReplay(resume))
            {
                await foreach (var tick in history.ReadAsync(after + 1, client.StartSequence, cancellationToken))
                {
                    if (tick.Epoch == epoch && tick.Sequence == cursor + 1)
                    {
                        cursor = tick.Sequence;
                        RelayActivities.AddReplayed(replay, tick, ++replayed);
                        yield return broadcaster.TickItem(tick, replayed: true).Event;
                    }
                }

                RelayActivities.EndReplay(replay, replayed);
                metrics.Replayed(replayed);
            }

            // A client ahead of this replica (it came from a faster one) skips live ticks it has.
            cursor = Math.Max(cursor, sameEpoch ? resume.Sequence : 0);
        }

        await foreach (var item in client.Events.ReadAllAsync(cancellationToken))
        {
            switch (item.Kind)
            {
                case RelayItemKind.Tick:
                    // A replica that started on an empty Redis learns the epoch from its first tick.
                    epoch ??= item.Epoch;
                    if (item.Epoch != epoch || item.Sequence <= cursor)
                    {
                        continue;
                    }

                    cursor = item.Sequence;
                    break;
                case RelayItemKind.Reset:
                    epoch = item.Epoch;
                    cursor = item.Sequence;
                    break;
            }

            yield return item.Event;

            if (item.Kind == RelayItemKind.Tick)
            {
                // The formatter asks for the next event only after writing this one, so now is the write time.
                metrics.Delivered(item.PublishedAt, time.GetUtcNow());
            }
        }
    }
}
