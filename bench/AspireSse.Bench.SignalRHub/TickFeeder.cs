using System.Text.Json;
using AspireSse.Contracts;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace AspireSse.Bench.SignalRHub;

/// <summary>
/// Subscribes to the EventService's tick channel and broadcasts each tick to every hub client.
/// Runs in its own process: with the Redis backplane, <c>Clients.All</c> publishes to Redis and
/// each hub server delivers to its own connections.
/// </summary>
public sealed class TickFeeder(IConnectionMultiplexer redis, IHubContext<TickHub> hub, FeederStatus status, ILogger<TickFeeder> logger)
    : BackgroundService
{
    // Same length as a WebFrontend replica's name, so the event is the same size.
    private const string Replica = "signalr-hub-1";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(TickRedisKeys.Channel);
        status.Subscribed = true;
        // One at a time, in the order Redis delivered them: the hub must see ticks in sequence.
        await foreach (var message in queue.WithCancellation(stoppingToken))
        {
            var tick = JsonSerializer.Deserialize((ReadOnlySpan<byte>)message.Message, TickJsonContext.Default.Tick);
            if (tick is null)
            {
                continue;
            }

            try
            {
                // Stamped on entry to the system under test, as the EventService stamps ours.
                await hub.Clients.All.SendAsync(TickHub.TickMethod,
                    new HubTick(tick.Epoch, tick.Sequence, DateTimeOffset.UtcNow, Replica, false), stoppingToken);
            }
            catch (RedisException ex)
            {
                logger.LogWarning(ex, "Could not broadcast tick {Sequence}", tick.Sequence);
            }
        }
    }
}
