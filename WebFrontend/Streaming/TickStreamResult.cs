using System.Buffers;
using System.IO.Pipelines;
using AspireSse.ServiceDefaults.Ticks;
using AspireSse.WebFrontend.Relay;
using Microsoft.AspNetCore.Http.Features;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Writes one client's stream: <c>hello</c>, then (when resuming) the missed ticks from the history
/// stream, then the live queue — with a cursor so the seam between replay and live has no gap and no
/// duplicate.
/// </summary>
/// <remarks>
/// This is the per-client hot path, so it writes the pre-encoded frames (<see cref="SseFrame"/>)
/// straight into Kestrel's response pipe and flushes once per batch: when several events are queued
/// (a burst, or a client whose socket drains slower than ticks arrive) they leave in one write and
/// one syscall instead of one each.
/// </remarks>
internal sealed class TickStreamResult(
    TickClient client,
    TickId? resumeAfter,
    TickBroadcaster broadcaster,
    TickHistory history,
    RelayMetrics metrics,
    TimeProvider time) : IResult
{
    // Replayed history is flushed in chunks, so a long replay starts arriving before it is all read.
    private const int ReplayFlushEvery = 64;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var owned = client;
        // A client that fell behind is dropped at the connection, not just at the queue: its socket
        // may be stalled, and only aborting frees what the server holds for it.
        using var cut = client.Cut.Register(static state => ((HttpContext)state!).Abort(), httpContext);

        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        // Compression middleware would hold events back until a compressed block fills.
        response.Headers.ContentEncoding = "identity";
        // nginx and some other proxies buffer responses unless told not to; a buffered SSE stream
        // delivers nothing until the buffer fills.
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        try
        {
            await WriteAsync(response.BodyWriter, httpContext.RequestAborted);
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left, or was cut: nothing more to send.
        }
    }

    private async Task WriteAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        if (client.Events.TryRead(out var hello))
        {
            writer.Write(hello.Frame);
        }

        var epoch = client.StartEpoch;
        var cursor = client.StartSequence;
        if (resumeAfter is { } resume && epoch is not null)
        {
            var sameEpoch = resume.Epoch is null || resume.Epoch == epoch;
            cursor = Math.Min(resume.Sequence, client.StartSequence);
            if (!sameEpoch)
            {
                // An id from an earlier epoch: nothing of it is comparable, so start over at the oldest.
                var oldest = await history.OldestAsync() ?? client.StartSequence + 1;
                writer.Write(TickBroadcaster.ResetItem(epoch, oldest, client.StartSequence, "epoch").Frame);
                cursor = oldest - 1;
            }

            cursor = await ReplayAsync(writer, epoch, cursor, resume, cancellationToken);
            if (cursor < 0)
            {
                return;
            }

            // A client ahead of this replica (it came from a faster one) skips live ticks it has.
            cursor = Math.Max(cursor, sameEpoch ? resume.Sequence : 0);
        }

        if (!await FlushAsync(writer, cancellationToken))
        {
            return;
        }

        var events = client.Events;
        while (await events.WaitToReadAsync(cancellationToken))
        {
            var writtenAt = time.GetUtcNow();
            while (events.TryRead(out var item))
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
                        metrics.Delivered(item.PublishedAt, writtenAt);
                        break;
                    case RelayItemKind.Reset:
                        epoch = item.Epoch;
                        cursor = item.Sequence;
                        break;
                }

                writer.Write(item.Frame);
            }

            if (!await FlushAsync(writer, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Writes the retained ticks after <paramref name="cursor"/> up to where the live queue starts.
    /// Wherever the history no longer holds the next tick (it was trimmed before or during the
    /// replay) the client gets a <c>reset</c> naming where the stream really continues, so a jump
    /// is never silent.
    /// </summary>
    /// <returns>The last sequence written, or -1 when the client went away.</returns>
    private async Task<long> ReplayAsync(PipeWriter writer, string epoch, long cursor, TickId resume, CancellationToken cancellationToken)
    {
        var replayed = 0;
        using var replay = RelayActivities.StartReplay(resume);
        await foreach (var tick in history.ReadAsync(cursor + 1, client.StartSequence, cancellationToken))
        {
            if (tick.Epoch != epoch || tick.Sequence <= cursor)
            {
                continue;
            }

            if (tick.Sequence > cursor + 1)
            {
                writer.Write(TickBroadcaster.ResetItem(epoch, tick.Sequence, client.StartSequence, "history").Frame);
            }

            cursor = tick.Sequence;
            RelayActivities.AddReplayed(replay, tick, ++replayed);
            writer.Write(broadcaster.TickItem(tick, replayed: true).Frame);
            if (replayed % ReplayFlushEvery == 0 && !await FlushAsync(writer, cancellationToken))
            {
                return -1;
            }
        }

        if (cursor < client.StartSequence)
        {
            // Everything the client missed is gone: it continues with the live ticks.
            writer.Write(TickBroadcaster.ResetItem(epoch, client.StartSequence + 1, client.StartSequence, "history").Frame);
            cursor = client.StartSequence;
        }

        RelayActivities.EndReplay(replay, replayed);
        metrics.Replayed(replayed);
        return cursor;
    }

    private static async ValueTask<bool> FlushAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        var result = await writer.FlushAsync(cancellationToken);
        return !result.IsCompleted && !result.IsCanceled;
    }
}
