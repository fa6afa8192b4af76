using System.Net.Sockets;
using AspireSse.ServiceDefaults.Ticks;
using AspireSse.WebFrontend.Relay;
using Microsoft.AspNetCore.Http.Features;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Writes one client's stream: <c>hello</c>, then (when resuming) the missed ticks from the history
/// stream, then the live events — with a cursor so the seam between replay and live has no gap and
/// no duplicate.
/// </summary>
/// <remarks>
/// Events are pre-encoded frames (<see cref="SseFrame"/>) and go out in batches: when several are
/// queued (a burst, or a client whose socket drains slower than ticks arrive) they leave in one
/// write and one syscall instead of one each: a paused client catching up about 1 000 ticks got
/// them in 81 writes on the socket and 431 through Kestrel's pipe, whose own 64 KB buffer takes
/// single events until it fills (test <c>EventsQueuedBehindASlowReaderLeaveTogetherInOneWrite</c>).
/// On a plain HTTP/1.1 connection they go straight to the socket (<see cref="SocketResponse"/>),
/// elsewhere through Kestrel's response pipe.
/// </remarks>
internal sealed class TickStreamResult(
    TickClient client,
    TickId? resumeAfter,
    TickBroadcaster broadcaster,
    TickHistory history,
    RelayMetrics metrics,
    TimeProvider time,
    TickStreamOptions options) : IResult
{
    // Replayed history is flushed in chunks, so a long replay starts arriving before it is all read.
    private const int ReplayFlushEvery = 64;

    /// <summary>The stream's response headers, on Kestrel's path and in <see cref="SocketResponse.Head"/> alike.</summary>
    public static readonly (string Name, string Value)[] Headers =
    [
        ("Content-Type", "text/event-stream"),
        ("Cache-Control", "no-cache,no-store"),
        // Compression middleware would hold events back until a compressed block fills.
        ("Content-Encoding", "identity"),
        // nginx and some other proxies buffer responses unless told not to; a buffered SSE stream
        // delivers nothing until the buffer fills.
        ("X-Accel-Buffering", "no"),
    ];

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var owned = client;
        // A client that fell behind is dropped at the connection, not just at the queue: its socket
        // may be stalled, and only aborting frees what the server holds for it.
        using var cut = client.Cut.Register(static state => ((HttpContext)state!).Abort(), httpContext);
        // A client that left ends the wait for its next event.
        using var left = httpContext.RequestAborted.UnsafeRegister(static state => ((TickClient)state!).Complete(), client);

        var socket = SocketResponse.TryTake(httpContext, options);
        StreamOutput output;
        if (socket is null)
        {
            var response = httpContext.Response;
            foreach (var (name, value) in Headers)
            {
                response.Headers[name] = value;
            }

            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            output = new PipeOutput(response.BodyWriter);
        }
        else
        {
            output = new SocketOutput(socket);
            output.Write(SocketResponse.Head(time.GetUtcNow()));
        }

        try
        {
            await WriteAsync(output, httpContext.RequestAborted);
            if (socket is not null && !client.WasCut && !httpContext.RequestAborted.IsCancellationRequested)
            {
                // The stream ended on purpose (drain): the client reads to the end, then reconnects.
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left, or was cut: nothing more to send.
        }
        catch (Exception ex) when (socket is not null && ex is SocketException or ObjectDisposedException)
        {
            // The client left while we were writing to its socket.
        }
        finally
        {
            if (socket is not null)
            {
                // Kestrel never started this response; it must not write one after our stream.
                httpContext.Abort();
            }
        }
    }

    private async Task WriteAsync(StreamOutput output, CancellationToken cancellationToken)
    {
        if (client.TryRead(out var hello))
        {
            output.Write(hello.Frame);
        }

        if (resumeAfter is { } resume && client.StartEpoch is { } epoch)
        {
            var sameEpoch = resume.Epoch is null || resume.Epoch == epoch;
            var cursor = Math.Min(resume.Sequence, client.StartSequence);
            if (!sameEpoch)
            {
                // An id from an earlier epoch: nothing of it is comparable, so start over at the oldest.
                var oldest = await history.OldestAsync() ?? client.StartSequence + 1;
                output.Write(TickBroadcaster.ResetItem(epoch, oldest, client.StartSequence, "epoch").Frame);
                cursor = oldest - 1;
            }

            cursor = await ReplayAsync(output, epoch, cursor, resume, cancellationToken);
            if (cursor < 0)
            {
                return;
            }

            // A client ahead of this replica (it came from a faster one) skips live ticks it has.
            client.MoveTo(epoch, Math.Max(cursor, sameEpoch ? resume.Sequence : 0));
        }

        if (!await output.FlushAsync(cancellationToken))
        {
            return;
        }

        var batch = new List<RelayItem>();
        while (await client.WaitToReadAsync() && !cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            client.TakeAll(batch);
            if (batch.Count == 0)
            {
                continue;
            }

            var writtenAt = time.GetUtcNow();
            foreach (var item in batch)
            {
                if (item.Kind == RelayItemKind.Tick)
                {
                    metrics.Delivered(item.PublishedAt, writtenAt);
                }

                output.Write(item.Frame);
            }

            if (!await output.FlushAsync(cancellationToken))
            {
                return;
            }

            metrics.Written(batch.Count);
        }
    }

    /// <summary>
    /// Writes the retained ticks after <paramref name="cursor"/> up to where the live queue starts.
    /// Wherever the history no longer holds the next tick (it was trimmed before or during the
    /// replay) the client gets a <c>reset</c> naming where the stream really continues, so a jump
    /// is never silent.
    /// </summary>
    /// <returns>The last sequence written, or -1 when the client went away.</returns>
    private async Task<long> ReplayAsync(StreamOutput output, string epoch, long cursor, TickId resume, CancellationToken cancellationToken)
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
                output.Write(TickBroadcaster.ResetItem(epoch, tick.Sequence, client.StartSequence, "history").Frame);
            }

            cursor = tick.Sequence;
            RelayActivities.AddReplayed(replay, tick, ++replayed);
            output.Write(broadcaster.TickItem(tick, replayed: true).Frame);
            if (replayed % ReplayFlushEvery == 0 && !await output.FlushAsync(cancellationToken))
            {
                return -1;
            }
        }

        if (cursor < client.StartSequence)
        {
            // Everything the client missed is gone: it continues with the live ticks.
            output.Write(TickBroadcaster.ResetItem(epoch, client.StartSequence + 1, client.StartSequence, "history").Frame);
            cursor = client.StartSequence;
        }

        RelayActivities.EndReplay(replay, replayed);
        metrics.Replayed(replayed);
        return cursor;
    }
}
