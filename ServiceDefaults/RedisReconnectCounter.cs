using System.Diagnostics.Metrics;
using AspireSse.Contracts;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace AspireSse.ServiceDefaults;

// StackExchange.Redis reconnects silently; a reconnect rate is the first sign of a flaky Redis.
internal sealed class RedisReconnectCounter(IConnectionMultiplexer connection, IMeterFactory meterFactory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var reconnects = meterFactory.Create(SseTelemetry.MeterName).CreateCounter<long>(
            SseMetrics.RedisReconnects, "{reconnect}", "Redis connections restored after a failure");
        connection.ConnectionRestored += (_, e) =>
            reconnects.Add(1, new KeyValuePair<string, object?>("redis.connection.type", e.ConnectionType.ToString()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
