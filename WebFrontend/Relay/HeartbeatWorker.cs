using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>One timer per process, not one per client, keeps every stream from looking idle.</summary>
public sealed class HeartbeatWorker(TickBroadcaster broadcaster, IOptions<TickStreamOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                broadcaster.Heartbeat();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
