using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AspireSse.EventService.Ticking;

/// <summary>
/// The leader is ready while ticks actually reach Redis; a standby is ready while it can see the
/// lease (so it could take over). Not merely "the process is up".
/// </summary>
public sealed class TickerHealthCheck(TickerStatus status, IOptions<TickerOptions> options, TimeProvider time) : IHealthCheck
{
    // A few missed intervals are a blip (one slow Redis call); more means publishing has stopped.
    private const int MissedIntervalsTolerated = 3;
    private static readonly TimeSpan MinimumGrace = TimeSpan.FromSeconds(3);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (status.LastLeaseCheckAt is not { } leaseCheck || now - leaseCheck > Max(options.Value.LeaseTime, MinimumGrace))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Cannot reach Redis to check the single-writer lease."));
        }

        if (!status.IsLeader)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Standby: another instance holds the lease and ticks."));
        }

        if (status.AwaitingAcknowledgementSince is { } since)
        {
            // Degraded, not unhealthy: the process and Redis are fine, and restarting it would not
            // bring the replica back. Nothing is shown meanwhile, so nothing can be taken back.
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Leader, but no replica has acknowledged tick {status.AwaitingSequence} for {(now - since).TotalSeconds:F1} s: ticking pauses until one does."));
        }

        if (status.LastPublishedAt is not { } last)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Leader, but no tick has been published yet."));
        }

        var grace = Max(options.Value.Interval * MissedIntervalsTolerated, MinimumGrace);
        var age = now - last;
        return Task.FromResult(age <= grace
            ? HealthCheckResult.Healthy($"Leader: published tick {status.LastSequence} {age.TotalMilliseconds:F0} ms ago.")
            : HealthCheckResult.Unhealthy($"Leader, but the last tick ({status.LastSequence}) was published {age.TotalSeconds:F1} s ago."));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
