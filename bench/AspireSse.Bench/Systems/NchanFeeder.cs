using System.Net.Http.Headers;
using System.Text.Json;
using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.Bench.Systems;

/// <summary>
/// Turns the EventService's Redis ticks into nchan publishes (HTTP POST to the publisher location),
/// one at a time in order. It runs in the benchmark's process: 10–100 requests a second are noise
/// next to the load generator, and nginx's cost of accepting them is measured, as it should be.
/// </summary>
public sealed class NchanFeeder(string redisConnectionString, Uri publishUrl) : IAsyncDisposable
{
    // Same length as a WebFrontend replica's name, so the event is the same size.
    private const string Replica = "nginx-nchan-1";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http = new();
    private readonly CancellationTokenSource _stop = new();
    private ConnectionMultiplexer? _redis;
    private Task? _loop;

    public long Failures { get; private set; }

    /// <summary>Subscribes, then forwards in the background; returns once nothing published from now on can be missed.</summary>
    public async Task StartAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString);
        var queue = await _redis.GetSubscriber().SubscribeAsync(TickRedisKeys.Channel);
        _loop = ForwardAsync(queue, _stop.Token);
    }

    private async Task ForwardAsync(ChannelMessageQueue queue, CancellationToken stop)
    {
        try
        {
            await foreach (var message in queue.WithCancellation(stop))
            {
                var tick = JsonSerializer.Deserialize((ReadOnlySpan<byte>)message.Message, TickJsonContext.Default.Tick);
                if (tick is null)
                {
                    continue;
                }

                // Stamped on entry to the system under test, as the EventService stamps ours.
                var body = JsonSerializer.SerializeToUtf8Bytes(
                    new PeerTick(tick.Epoch, tick.Sequence, DateTimeOffset.UtcNow, Replica, false), PeerTickJsonContext.Default.PeerTick);
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = Json;
                try
                {
                    using var response = await _http.PostAsync(publishUrl, content, stop);
                    if (!response.IsSuccessStatusCode)
                    {
                        Failures++;
                    }
                }
                catch (HttpRequestException)
                {
                    Failures++;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
