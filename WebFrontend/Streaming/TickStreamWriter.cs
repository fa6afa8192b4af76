using System.Diagnostics;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>
/// Writes one client's stream, whichever way it was opened: <c>hello</c>, then (when resuming) the
/// missed ticks from this replica's recent ticks or the history stream, then the live events — with a cursor so the seam between
/// replay and live has no gap and no duplicate.
/// </summary>
/// <remarks>
/// Events are pre-encoded frames (<see cref="SseFrame"/>) and go out in batches: when several are
/// queued (a burst, or a client whose socket drains slower than ticks arrive) they leave in one
/// write and one syscall instead of one each. A paused client catching up gets its backlog in far
/// fewer writes than events (fewer still with the fast path's socket output than through Kestrel's
/// pipe, whose own buffer takes single events until it fills) (test
/// <c>EventsQueuedBehindASlowReaderLeaveTogetherInOneWrite</c> reports the counts).
/// </remarks>
internal sealed class TickStreamWriter(
    TickEvents events,
    TickHistory history,
    RecentTicks recent,
    HistoryReadLimit historyReads,
    RelayMetrics metrics,
    TimeProvider time)
{
    // A replay goes out in batches of this many ticks, each flushed before the next is read: a long
    // replay starts arriving before it is all read, goes at the client's pace, and a client that
    // stops reading holds one batch of frames (with the history, one page of that size) at most.
    private const int ReplayBatch = 64;

    /// <summary>The stream's response headers, on every path.</summary>
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

    // A batch lives only from TakeAll to the last Write, with no await in between, so one list per
    // thread serves every client instead of one per client, which every idle stream would hold.
    [ThreadStatic]
    private static List<RelayItem>? t_batch;

    /// <summary>The whole stream: its opening, then the live events until it ends.</summary>
    public async Task WriteAsync(TickClient client, TickId? resumeAfter, StreamOutput output, CancellationToken cancellationToken)
    {
        if (await WriteOpeningAsync(client, resumeAfter, output, cancellationToken))
        {
            await WriteLiveAsync(client, output, cancellationToken);
        }
    }

    /// <summary>
    /// The <c>hello</c> and any replay, flushed. The output's path is counted and tagged on the current span.
    /// </summary>
    /// <returns>False when the client went away.</returns>
    public async Task<bool> WriteOpeningAsync(TickClient client, TickId? resumeAfter, StreamOutput output,
        CancellationToken cancellationToken)
    {
        metrics.StreamOpened(output.Path);
        Activity.Current?.SetTag(SseMetrics.StreamPathTag, output.Path);
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
                var oldest = await historyReads.RunAsync(history.OldestAsync, cancellationToken) ?? client.StartSequence + 1;
                output.Write(events.Reset(epoch, oldest, client.StartSequence, "epoch").Frame);
                cursor = oldest - 1;
            }

            cursor = await ReplayAsync(client, output, epoch, cursor, resume, cancellationToken);
            if (cursor < 0)
            {
                return false;
            }

            // A client ahead of this replica (it came from a faster one) skips live ticks it has.
            client.MoveTo(epoch, Math.Max(cursor, sameEpoch ? resume.Sequence : 0));
        }

        return await output.FlushAsync(cancellationToken);
    }

    /// <summary>Live events, a batch per write, until the client is completed or goes away.</summary>
    public async Task WriteLiveAsync(TickClient client, StreamOutput output, CancellationToken cancellationToken)
    {
        while (await client.WaitToReadAsync() && !cancellationToken.IsCancellationRequested)
        {
            var batch = t_batch ??= [];
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

            var count = batch.Count;
            batch.Clear();
            if (!await output.FlushAsync(cancellationToken))
            {
                return;
            }

            metrics.Written(count);
        }
    }

    /// <summary>
    /// Writes the ticks after <paramref name="cursor"/> up to where the live queue starts: from this
    /// replica's recent ticks while they hold the next one, and the rest from the history stream.
    /// Wherever the history no longer holds the next tick (it was trimmed before or during the
    /// replay) the client gets a <c>reset</c> naming where the stream really continues, so a jump
    /// is never silent.
    /// </summary>
    /// <returns>The last sequence written, or -1 when the client went away.</returns>
    private async Task<long> ReplayAsync(TickClient client, StreamOutput output, string epoch, long cursor, TickId resume,
        CancellationToken cancellationToken)
    {
        var replayed = 0;
        using var replay = RelayActivities.StartReplay(resume);
        while (cursor < client.StartSequence && recent.Find(epoch, cursor + 1) is { } kept)
        {
            cursor++;
            RelayActivities.AddReplayed(replay, kept.Tick, ++replayed);
            output.Write(kept.Replayed(events).Frame);
            if (replayed % ReplayBatch == 0 && !await output.FlushAsync(cancellationToken))
            {
                return -1;
            }
        }

        var fromHistory = cursor < client.StartSequence;
        if (fromHistory)
        {
            var next = cursor + 1;
            while (next <= client.StartSequence)
            {
                // The place in the history reads is held for this page's read only, so a long
                // replay, or a client replaying over and over, waits its turn page by page.
                var page = await history.ReadPageAsync(next, client.StartSequence, ReplayBatch, historyReads, cancellationToken);
                if (page.Next is not { } after)
                {
                    break;
                }

                next = after;
                foreach (var tick in page.Ticks)
                {
                    var order = new TickPosition(epoch, cursor).Of(tick);
                    if (order is TickOrder.Duplicate or TickOrder.OtherEpoch)
                    {
                        continue;
                    }

                    if (order == TickOrder.Gap)
                    {
                        output.Write(events.Reset(epoch, tick.Sequence, client.StartSequence, "history").Frame);
                    }

                    cursor = tick.Sequence;
                    RelayActivities.AddReplayed(replay, tick, ++replayed);
                    output.Write(events.Tick(tick, replayed: true).Frame);
                }

                // Let go of the page before waiting on the client: a slow reader holds the frames
                // on their way to it, not the ticks they were made from. The last page is flushed
                // with the rest of the opening.
                page = default;
                if (next <= client.StartSequence && !await output.FlushAsync(cancellationToken))
                {
                    return -1;
                }
            }

            if (cursor < client.StartSequence)
            {
                // Everything the client missed is gone: it continues with the live ticks.
                output.Write(events.Reset(epoch, client.StartSequence + 1, client.StartSequence, "history").Frame);
                cursor = client.StartSequence;
            }
        }

        RelayActivities.EndReplay(replay, replayed, fromHistory ? ReplaySource.History : ReplaySource.Window);
        metrics.Replayed(replayed);
        metrics.ReplayServed(fromHistory);
        return cursor;
    }
}
