using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireSse.Bench.SignalRHub;

/// <summary>Whether the feeder is subscribed to the tick channel; the hub role is always ready.</summary>
public sealed class FeederStatus
{
    public static FeederStatus NotAFeeder { get; } = new() { Subscribed = true };

    private volatile bool _subscribed;

    public bool Subscribed
    {
        get => _subscribed;
        set => _subscribed = value;
    }
}

/// <summary>Ready once the feeder listens, so the benchmark starts ticking only when nothing is missed.</summary>
public sealed class FeederHealthCheck(FeederStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.Subscribed ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not subscribed yet"));
}
