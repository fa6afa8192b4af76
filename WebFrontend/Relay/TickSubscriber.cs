using System.Text.Json;
using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// The process's one Redis subscription, relaying strictly in sequence. Messages are read from a
/// <see cref="ChannelMessageQueue"/>, one at a time in the order Redis sent them. Pub/sub drops
/// whatever is published while the subscriber is disconnected, so whenever a message shows a gap
/// the missing ticks are read from the history stream and relayed first.
/// </summary>
public sealed partial class TickSubscriber(
    IConnectionMultiplexer redis,
    TickBroadcaster broadcaster,
    TickHistory history,
    RelayStatus status,
    RelayMetrics metrics,
    TimeProvider time,
    ILogger<TickSubscriber> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RollbackCheckInterval = TimeSpan.FromSeconds(1);
    private long _lastRollbackCheck;

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
        if (position.Epoch is null)
        {
            // The first tick ever seen (Redis was empty when this replica started).
            broadcaster.Initialize(tick.Epoch, 0);
        }
        else if (position.Of(tick) == TickOrder.OtherEpoch)
        {
            // Redis is the authority on the numbering: a tick of another epoch means it started again.
            broadcaster.StartEpoch(tick.Epoch, 0);
        }

        var last = broadcaster.Position;
        switch (last.Of(tick))
        {
            case TickOrder.Duplicate:
                await CheckForRollbackAsync(last);
                return;
            case TickOrder.Gap:
                var filled = 0;
                await foreach (var missed in history.ReadAsync(last.Sequence + 1, tick.Sequence - 1, cancellationToken: cancellationToken))
                {
                    if (broadcaster.Position.Of(missed) == TickOrder.Next)
                    {
                        Relay(missed, backfilled: true);
                        filled++;
                    }
                }

                LogBackfilled(filled, last.Sequence + 1, tick.Sequence - 1);
                if (broadcaster.Position.Of(tick) != TickOrder.Next)
                {
                    // Only possible when the gap is longer than the retained history.
                    LogUnfillableGap(broadcaster.LastSequence + 1, tick.Sequence - 1);
                }

                break;
        }

        Relay(tick, backfilled: false);
    }

    // A tick this replica already has is usually one the backfill relayed before its message came.
    // It is also what a Redis that came back with older data sends: old ids again, with new content.
    // Redis's count tells the two apart. Asked at most once per interval, so a stream of stale
    // messages costs Redis one script a second at most.
    private async Task CheckForRollbackAsync(TickPosition relayed)
    {
        var now = time.GetTimestamp();
        if (_lastRollbackCheck != 0 && time.GetElapsedTime(_lastRollbackCheck, now) < RollbackCheckInterval)
        {
            return;
        }

        _lastRollbackCheck = now;
        var seen = new TickId(relayed.Epoch, relayed.Sequence);
        try
        {
            if (await history.RetireEpochIfBehindAsync(seen))
            {
                LogRolledBack(seen.ToString());
            }
        }
        catch (RedisException ex)
        {
            // The next stale tick asks again.
            LogRollbackCheckFailed(ex);
        }
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
        try
        {
            var tick = JsonSerializer.Deserialize((ReadOnlySpan<byte>)message, TickJsonContext.Default.Tick);
            if (tick is { Sequence: > 0, Epoch.Length: > 0 })
            {
                return tick;
            }
        }
        catch (JsonException ex)
        {
            LogMalformed(ex, Preview(message));
            return null;
        }

        LogMalformed(null, Preview(message));
        return null;
    }

    private static string Preview(RedisValue message)
    {
        var text = message.ToString();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to Redis channel {Channel}; relaying after {Epoch}-{Sequence}")]
    private partial void LogSubscribed(string channel, string? epoch, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to Redis failed; retrying in {Seconds} s")]
    private partial void LogSubscribeFailed(Exception exception, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a message on the tick channel that is not a valid tick: {Message}")]
    private partial void LogMalformed(Exception? exception, string message);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis came back with older data: its count is behind tick {Relayed}, which this replica relayed. Retired the epoch; the EventService starts a new one, and every client gets a reset.")]
    private partial void LogRolledBack(string relayed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask Redis whether it came back with older data; asking again at the next stale tick")]
    private partial void LogRollbackCheckFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Filled {Count} missed tick(s) ({From}..{To}) from the history stream")]
    private partial void LogBackfilled(int count, long from, long to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ticks {From}..{To} were missed and are no longer in the history stream")]
    private partial void LogUnfillableGap(long from, long to);
}
