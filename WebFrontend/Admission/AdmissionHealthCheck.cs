using AspireSse.WebFrontend.Relay;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireSse.WebFrontend.Admission;

/// <summary>
/// Not ready while the replica is full, so a health-probing proxy or orchestrator sends new clients
/// elsewhere. Liveness is untouched: a full replica is working, and must not be restarted.
/// </summary>
public sealed class AdmissionHealthCheck(AdmissionLimits limits, TickBroadcaster broadcaster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var streams = broadcaster.ClientCount;
        return Task.FromResult(limits.IsFull(streams)
            ? HealthCheckResult.Unhealthy($"Full: serving {streams} of at most {limits.MaxStreams} streams; new streams get 503.")
            : HealthCheckResult.Healthy($"Serving {streams} of at most {limits.MaxStreams} streams."));
    }
}
