using AspireSse.WebFrontend.Hosting;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Graceful shutdown for long-lived streams. Kestrel would otherwise wait for every open stream to
/// end by itself (they never do) and then cut them. Instead, before anything else stops: take no new
/// clients (leave a port shared with other replicas, where the kernel balances, and report unready,
/// for a health-checking proxy), wait for a proxy to notice, then ask every client to reconnect
/// shortly and close its stream. Clients resume elsewhere from their Last-Event-ID, so a
/// rolling restart loses nothing.
/// </summary>
public sealed partial class TickStreamDrain(
    TickBroadcaster broadcaster,
    IOptions<TickStreamOptions> options,
    ILogger<TickStreamDrain> logger,
    SharedPortListener? sharedPort = null) : IHostedLifecycleService
{
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(5);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        LogDraining(broadcaster.ClientCount, options.Value.DrainDelay.TotalMilliseconds);
        // No new clients first: none from the kernel, none from a proxy once it sees the replica unready
        // (readiness reads IsDraining). Then keep streaming while a proxy notices.
        sharedPort?.Leave();
        broadcaster.BeginDrain();
        await Task.Delay(options.Value.DrainDelay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        broadcaster.Drain();
        try
        {
            await broadcaster.WaitForClientsToLeaveAsync(LeaveTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogStragglers(broadcaster.ClientCount);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining {Count} client(s): unready now, asking them to reconnect in {DelayMs} ms")]
    private partial void LogDraining(int count, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} client(s) had not left when draining timed out; their streams are cut")]
    private partial void LogStragglers(int count);
}
