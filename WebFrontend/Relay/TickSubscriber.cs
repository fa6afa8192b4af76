using System.Text.Encodings.Web;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Admission;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// The process's one Redis subscription, relaying strictly in sequence. Messages are read from a
/// <see cref="ChannelMessageQueue"/>, one at a time in the order Redis sent them. Pub/sub drops
/// whatever is published while the subscriber is disconnected, so whenever a message shows a gap
/// the missing ticks are read from the history stream and relayed first. Anyone who can publish on
/// the channel can send anything, so a message is relayed only when it is a well-formed tick
/// (<see cref="TickValidation"/>) and, unless it simply follows the last one, Redis agrees: its
/// history holds the tick, its epoch key names the tick's epoch. Any other message is logged and
/// skipped, and moves nothing.
/// </summary>
public sealed partial class TickSubscriber(
    IConnectionMultiplexer redis,
    TickBroadcaster broadcaster,
    TickHistory history,
    RelayStatus status,
    RelayMetrics metrics,
    RollbackCheck rollback,
    TimeProvider time,
    ILogger<TickSubscriber> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly DoublingCount _skipped = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            ChannelMessageQueue? queue = null;
            try
            {
                // Subscribe first, then read where the numbering stands: anything published in
                // between waits in the queue and is recognised as already counted, or filled in.
                queue = await redis.GetSubscriber().SubscribeAsync(TickRedisKeys.Channel);
                if (broadcaster.Epoch is null)
                {
                    var (epoch, counter) = await history.ReadPositionAsync();
                    if (epoch is not null)
                    {
                        broadcaster.Initialize(epoch, counter);
                    }
                }

                status.Subscribed = true;
                LogSubscribed(TickRedisKeys.Channel.ToString(), broadcaster.Epoch, broadcaster.LastSequence);

                // StackExchange.Redis re-subscribes by itself after a reconnect, so one subscription
                // lives as long as the process unless something here fails.
                await foreach (var message in queue.WithCancellation(stoppingToken))
                {
                    if (Parse(message.Message) is { } tick)
                    {
                        await RelayInOrderAsync(tick, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogSubscribeFailed(ex, RetryDelay.TotalSeconds);
                status.Subscribed = false;
                await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            finally
            {
                if (queue is not null)
                {
                    status.Subscribed = false;
                    await queue.UnsubscribeAsync(CommandFlags.FireAndForget);
                }
            }
        }
    }

    private async Task RelayInOrderAsync(Tick tick, CancellationToken cancellationToken)
    {
        var position = broadcaster.Position;
        if (position.Epoch != tick.Epoch)
        {
            // The first tick seen (Redis was empty when this replica started) or one of another
            // epoch: Redis is the authority on the numbering, and only its epoch key says it started
            // again. A tick that merely claims so would send every client a reset.
            var (epoch, _) = await history.ReadPositionAsync();
            if (epoch != tick.Epoch)
            {
                Skip(tick, $"Redis's epoch is {epoch ?? "not set"}");
                return;
            }

            if (position.Epoch is null)
            {
                broadcaster.Initialize(tick.Epoch, 0);
            }
            else
            {
                broadcaster.StartEpoch(tick.Epoch, 0);
            }
        }

        var last = broadcaster.Position;
        switch (last.Of(tick))
        {
            case TickOrder.Duplicate:
                // Usually one the backfill relayed before its message came; but also what a Redis
                // that came back with older data sends.
                await rollback.CheckAsync(tick, last);
                return;
            case TickOrder.Gap:
                if (await BackfillAsync(tick, last, cancellationToken) is not { } released)
                {
                    Skip(tick, "the history stream in Redis does not hold it");
                    return;
                }

                tick = released;
                break;
        }

        Relay(tick, backfilled: false);
    }

    /// <summary>
    /// Relays the missed ticks before <paramref name="tick"/> from the history stream, read through
    /// the tick's own sequence: pub/sub delivers whatever anyone publishes, so a tick after a gap is
    /// believed only when the history holds it under the released mark.
    /// </summary>
    /// <returns>The history's copy of <paramref name="tick"/>, or null when it does not hold one.</returns>
    private async Task<Tick?> BackfillAsync(Tick tick, TickPosition last, CancellationToken cancellationToken)
    {
        Tick? released = null;
        var filled = 0;
        await foreach (var stored in history.ReadAsync(last.Sequence + 1, tick.Sequence, cancellationToken: cancellationToken))
        {
            if (stored.Sequence == tick.Sequence)
            {
                released = stored.Epoch == tick.Epoch ? stored : null;
                break;
            }

            if (broadcaster.Position.Of(stored) == TickOrder.Next)
            {
                Relay(stored, backfilled: true);
                filled++;
            }
        }

        if (released is null && filled == 0)
        {
            return null;
        }

        LogBackfilled(filled, last.Sequence + 1, released is null ? broadcaster.LastSequence : tick.Sequence - 1);
        if (released is not null && broadcaster.Position.Of(released) != TickOrder.Next)
        {
            // Only possible when the gap is longer than the retained history.
            LogUnfillableGap(broadcaster.LastSequence + 1, tick.Sequence - 1);
        }

        return released;
    }

    private void Relay(Tick tick, bool backfilled)
    {
        using var activity = RelayActivities.StartProcess(tick, backfilled);
        var clients = broadcaster.Publish(tick);
        activity?.SetTag(SseTelemetry.RelayClientsTag, clients);
        metrics.TickRelayed(backfilled);
    }

    private Tick? Parse(RedisValue message)
    {
        Tick? tick;
        try
        {
            tick = JsonSerializer.Deserialize((ReadOnlySpan<byte>)message, TickJsonContext.Default.Tick);
        }
        catch (JsonException ex)
        {
            Skip(ex, "it is not a tick", message);
            return null;
        }

        if (tick is null)
        {
            Skip(null, "it is not a tick", message);
            return null;
        }

        if (TickValidation.Problem(tick, time.GetUtcNow()) is { } problem)
        {
            Skip(null, problem, message);
            return null;
        }

        return tick;
    }

    // Sampled: whoever can publish on the channel could otherwise fill the log.
    private void Skip(Exception? exception, string problem, RedisValue message)
    {
        if (_skipped.Increment(out var count))
        {
            LogSkipped(exception, problem, count, Preview(message));
        }
    }

    private void Skip(Tick tick, string problem)
    {
        if (_skipped.Increment(out var count))
        {
            LogSkipped(null, problem, count, new TickId(tick.Epoch, tick.Sequence).ToString());
        }
    }

    private static string Preview(RedisValue message)
    {
        var text = message.ToString();
        text = text.Length <= 200 ? text : text[..200] + "…";
        // Whatever was published, it stays on one line of the log.
        return JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to Redis channel {Channel}; relaying after {Epoch}-{Sequence}")]
    private partial void LogSubscribed(string channel, string? epoch, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to Redis failed; retrying in {Seconds} s")]
    private partial void LogSubscribeFailed(Exception exception, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a message on the tick channel: {Problem} ({Count} so far): {Message}")]
    private partial void LogSkipped(Exception? exception, string problem, long count, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Filled {Count} missed tick(s) ({From}..{To}) from the history stream")]
    private partial void LogBackfilled(int count, long from, long to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ticks {From}..{To} were missed and are no longer in the history stream")]
    private partial void LogUnfillableGap(long from, long to);
}
