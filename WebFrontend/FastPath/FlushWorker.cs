using AspireSse.WebFrontend.Relay;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// With <c>FastPath:FlushInterval</c> above 0, live events wait in the clients' queues and this wakes
/// every client's writer once per interval, so what was queued since leaves in one write per client.
/// One timer per process.
/// </summary>
internal sealed class FlushWorker(TickBroadcaster broadcaster, IOptions<FastPathOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.FlushInterval == TimeSpan.Zero)
        {
            return;
        }

        broadcaster.WritersWaitForFlush = true;
        using var timer = new PeriodicTimer(options.Value.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                broadcaster.Flush();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // Whatever is still queued (a drain) must not wait for a timer that has stopped.
            broadcaster.WritersWaitForFlush = false;
            broadcaster.Flush();
        }
    }
}
