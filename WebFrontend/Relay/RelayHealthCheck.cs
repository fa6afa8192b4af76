using AspireSse.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>Ready only while this replica can actually receive ticks from Redis.</summary>
public sealed class RelayHealthCheck(RelayStatus status, IConnectionMultiplexer redis, TickBroadcaster broadcaster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (broadcaster.IsDraining)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Shutting down: clients are being handed to other replicas."));
        }

        if (!status.Subscribed)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Not subscribed to the tick channel yet."));
        }

        if (!redis.GetSubscriber().IsConnected(TickRedisKeys.Channel))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The Redis subscription connection is down."));
        }

        return Task.FromResult(HealthCheckResult.Healthy(
            $"Relaying to {broadcaster.ClientCount} client(s); last tick {broadcaster.LastSequence}."));
    }
}
