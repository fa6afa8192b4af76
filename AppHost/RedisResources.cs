using Microsoft.Extensions.DependencyInjection;

namespace AspireSse.AppHost;

/// <summary>
/// The Redis the services reach as <c>ConnectionStrings:{name}</c>, run the way the <c>Redis:RunAs</c>
/// setting says: <c>container</c> (the default; Docker or Podman) or <c>executable</c> (a local
/// redis-server, for machines without a container runtime).
/// </summary>
internal static class RedisResources
{
    public const string RunAsSetting = "Redis:RunAs";

    public static IResourceBuilder<IResourceWithConnectionString> AddRedisFromConfiguration(
        this IDistributedApplicationBuilder builder, string name)
    {
        // An empty value (Redis__RunAs= in the environment) means the default, as an unset one does.
        var runAs = builder.Configuration[RunAsSetting] is { Length: > 0 } setting ? setting : "container";
        if (string.Equals(runAs, "container", StringComparison.OrdinalIgnoreCase))
        {
            // A data volume (which also turns on Redis persistence) keeps the count going across
            // container restarts.
            return builder.AddRedis(name).WithDataVolume();
        }

        if (string.Equals(runAs, "executable", StringComparison.OrdinalIgnoreCase))
        {
            return builder.AddRedisServer(name);
        }

        throw new InvalidOperationException(
            $"{RunAsSetting} is '{runAs}'. Use 'container' (needs Docker or Podman) or 'executable' (needs redis-server on PATH).");
    }

    /// <summary>
    /// redis-server as an executable resource named <c>{name}-server</c>, and a connection string
    /// resource named <paramref name="name"/> built from its endpoint, in the form the container's has.
    /// Waiting for the connection string waits until the server answers an authenticated PING.
    /// </summary>
    /// <remarks>
    /// Unlike the container it stays plain TCP when a developer certificate is trusted: it listens on
    /// loopback only. It keeps its data in memory, so restarting it starts a new epoch, which every
    /// client is told about with a <c>reset</c> event.
    /// </remarks>
    private static IResourceBuilder<ConnectionStringResource> AddRedisServer(this IDistributedApplicationBuilder builder, string name)
    {
        // The same parameter AddRedis creates: generated once, then kept in user secrets; no commas,
        // which StackExchange.Redis would read as a separator.
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);

        // Not proxied: Aspire picks one free port as both the endpoint's port and its target port, and
        // redis-server itself listens there, so the connection string names the port passed to --port.
        var server = builder.AddExecutable($"{name}-server", "redis-server", builder.AppHostDirectory)
            .WithEndpoint(name: "tcp", scheme: "redis", isProxied: false);
        var endpoint = server.GetEndpoint("tcp");
        server.WithArgs(
            "--port", endpoint.Property(EndpointProperty.TargetPort),
            "--bind", "127.0.0.1",
            "--requirepass", password,
            "--save", "",
            "--appendonly", "no");

        var healthCheck = $"{name}-server_ping";
        builder.Services.AddHealthChecks()
            .AddCheck(healthCheck, new RedisPingHealthCheck(endpoint, password), timeout: TimeSpan.FromSeconds(5));
        server.WithHealthCheck(healthCheck);

        var connectionString = ReferenceExpression.Create(
            $"{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)},password={password}");
        return builder.AddConnectionString(name, connectionString)
            .WaitFor(server);
    }
}
