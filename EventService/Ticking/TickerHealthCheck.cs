using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AspireSse.EventService.Ticking;

/// <summary>Ready while ticks are actually reaching Redis, not merely while the process is up.</summary>
public sealed class TickerHealthCheck(TickerStatus status, IOptions<TickerOptions> options, TimeProvider time) : IHealthCheck
{
    // A few missed intervals are a blip (one slow Redis call); more means publishing has stopped.
    private const int MissedIntervalsTolerated = 3;
    private static readonly TimeSpan MinimumGrace = TimeSpan.FromSeconds(3);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (status.LastPublishedAt is not { } last)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("No tick has been published yet."));
        }

        var grace = options.Value.Interval * MissedIntervalsTolerated;
        if (grace < MinimumGrace)
        {
            grace = MinimumGrace;
        }

        var age = time.GetUtcNow() - last;
        return Task.FromResult(age <= grace
            ? HealthCheckResult.Healthy($"Published tick {status.LastSequence} {age.TotalMilliseconds:F0} ms ago.")
            : HealthCheckResult.Unhealthy($"Last tick ({status.LastSequence}) was published {age.TotalSeconds:F1} s ago."));
    }
}
