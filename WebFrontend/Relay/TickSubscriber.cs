using System.Text.Json;
using AspireSse.ServiceDefaults.Ticks;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// The process's one Redis subscription. Messages are read from a <see cref="ChannelMessageQueue"/>,
/// which hands them over one at a time in the order Redis sent them.
/// </summary>
public sealed partial class TickSubscriber(
    IConnectionMultiplexer redis,
    TickBroadcaster broadcaster,
    RelayStatus status,
    ILogger<TickSubscriber> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            ChannelMessageQueue? queue = null;
            try
            {
                // StackExchange.Redis re-subscribes by itself after a reconnect, so one subscription
                // lives as long as the process unless subscribing itself fails.
                queue = await redis.GetSubscriber().SubscribeAsync(TickRedisKeys.Channel);
                status.Subscribed = true;
                LogSubscribed(TickRedisKeys.Channel.ToString());

                await foreach (var message in queue.WithCancellation(stoppingToken))
                {
                    Relay(message.Message);
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

    private void Relay(RedisValue message)
    {
        Tick? tick;
        try
        {
            tick = JsonSerializer.Deserialize((ReadOnlySpan<byte>)message, TickJsonContext.Default.Tick);
        }
        catch (JsonException ex)
        {
            LogMalformed(ex, Preview(message));
            return;
        }

        if (tick is null || tick.Sequence <= 0)
        {
            LogMalformed(null, Preview(message));
            return;
        }

        broadcaster.Publish(tick);
    }

    private static string Preview(RedisValue message)
    {
        var text = message.ToString();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to Redis channel {Channel}")]
    private partial void LogSubscribed(string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to Redis failed; retrying in {Seconds} s")]
    private partial void LogSubscribeFailed(Exception exception, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a message on the tick channel that is not a valid tick: {Message}")]
    private partial void LogMalformed(Exception? exception, string message);
}
