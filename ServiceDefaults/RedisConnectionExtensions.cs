using System.Diagnostics.Metrics;
using AspireSse.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers one shared <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:{name}</c>,
/// the key Aspire's <c>WithReference(redis)</c> (and the launcher) fill in.
/// </summary>
/// <remarks>
/// In a solution that can use Aspire's client packages, <c>builder.AddRedisClient(name)</c> from
/// Aspire.StackExchange.Redis does the same plus its own health check and tracing; this sample keeps
/// the few lines it needs so that it builds where those packages are not available.
/// </remarks>
public static class RedisConnectionExtensions
{
    public static TBuilder AddRedisConnection<TBuilder>(
        this TBuilder builder,
        string connectionName,
        Action<ConfigurationOptions>? configure = null) where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set. Start the service through the AppHost or the " +
                $"launcher (./run.sh), or set ConnectionStrings__{connectionName}=host:port,password=… yourself.");
        }

        var options = ConfigurationOptions.Parse(connectionString);
        // Redis may come up after the service, or restart under it: keep retrying in the background
        // instead of failing the first connect.
        options.AbortOnConnectFail = false;
        options.ClientName ??= builder.Environment.ApplicationName;
        configure?.Invoke(options);

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            options.LoggerFactory ??= loggerFactory;
            var connection = ConnectionMultiplexer.Connect(options);
            CountReconnects(connection, sp.GetRequiredService<IMeterFactory>());
            return connection;
        });
        return builder;
    }

    // StackExchange.Redis reconnects silently; a reconnect rate is the first sign of a flaky Redis.
    private static void CountReconnects(ConnectionMultiplexer connection, IMeterFactory meterFactory)
    {
        var reconnects = meterFactory.Create(SseTelemetry.MeterName).CreateCounter<long>(
            SseMetrics.RedisReconnects, "{reconnect}", "Redis connections restored after a failure");
        connection.ConnectionRestored += (_, e) =>
            reconnects.Add(1, new KeyValuePair<string, object?>("redis.connection.type", e.ConnectionType.ToString()));
    }
}
