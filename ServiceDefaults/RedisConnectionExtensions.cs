using AspireSse.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The services' Redis: Aspire's client integration (<c>AddRedisClient</c>: one shared
/// <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:{name}</c>, its health check and the
/// tracing of every Redis command), plus a counter of reconnects.
/// </summary>
public static class RedisConnectionExtensions
{
    public static TBuilder AddRedisConnection<TBuilder>(
        this TBuilder builder,
        string connectionName,
        Action<ConfigurationOptions>? configure = null) where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(connectionName)))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set. Start the service through the AppHost " +
                $"(dotnet run --project AppHost, or ./run.sh), or set ConnectionStrings__{connectionName}=host:port,password=… yourself.");
        }

        // Through Sentinel the client also knows the replica, and the client integration's health
        // check pings every server it knows: the replica being away would make every service
        // unhealthy. Each service's own readiness (the ticker's lease, the relay's subscription) says
        // what matters instead.
        var throughSentinel = !string.IsNullOrEmpty(
            ConfigurationOptions.Parse(builder.Configuration.GetConnectionString(connectionName)!).ServiceName);
        builder.AddRedisClient(connectionName, settings => settings.DisableHealthChecks |= throughSentinel, options =>
        {
            options.ClientName ??= builder.Environment.ApplicationName;
            configure?.Invoke(options);
        });
        builder.Services.AddHostedService<RedisReconnectCounter>();
        return builder;
    }
}
