using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// One timer per process, not one per client, keeps every stream from looking idle. A heartbeat is
/// sent only when no tick went out since the last check: while ticks flow they keep the streams
/// alive, and a heartbeat beside them would be one more send per client for nothing.
/// </summary>
public sealed class HeartbeatWorker(TickBroadcaster broadcaster, IOptions<TickStreamOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        var lastSeen = broadcaster.Position;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = broadcaster.Position;
                if (now == lastSeen)
                {
                    broadcaster.Heartbeat();
                }

                lastSeen = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
