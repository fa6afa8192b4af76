using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AspireSse.AppHost;

/// <summary>
/// The Redis the services reach as <c>ConnectionStrings:{name}</c>, run the way the <c>Redis:RunAs</c>
/// setting says: <c>container</c> (Docker or Podman), <c>executable</c> (a local redis-server), or
/// <c>auto</c>, the default: the container when a container runtime answers, else redis-server.
/// </summary>
internal static class RedisResources
{
    public const string RunAsSetting = "Redis:RunAs";

    /// <summary>Where redis-server keeps its append-only file; by default beside the AppHost, so a restart keeps the count.</summary>
    public const string DataDirectorySetting = "Redis:DataDirectory";

    /// <summary><c>single</c> (the default): one Redis; <c>sentinel</c>: a primary, a replica and three Sentinels (RedisSentinelResources.cs).</summary>
    public const string TopologySetting = "Redis:Topology";

    /// <summary>Whether the configuration asks for the primary + replica + Sentinels topology.</summary>
    public static bool UsesSentinel(IConfiguration configuration) =>
        (configuration[TopologySetting] is { Length: > 0 } topology ? topology.ToLowerInvariant() : "single") switch
        {
            "single" => false,
            "sentinel" => true,
            var other => throw new InvalidOperationException(
                $"{TopologySetting} is '{other}'. Use 'single' (the default: one Redis) or 'sentinel' (a primary, a replica and three Sentinels)."),
        };

    public static IResourceBuilder<IResourceWithConnectionString> AddRedisFromConfiguration(
        this IDistributedApplicationBuilder builder, string name)
    {
        // An empty value (Redis__RunAs= in the environment) means the default, as an unset one does.
        var runAs = builder.Configuration[RunAsSetting] is { Length: > 0 } setting ? setting.ToLowerInvariant() : "auto";
        if (UsesSentinel(builder.Configuration))
        {
            if (runAs == "container")
            {
                throw new InvalidOperationException(
                    $"{TopologySetting}=sentinel runs every Redis process as an executable; {RunAsSetting}=container is not supported with it.");
            }

            return builder.AddRedisWithSentinel(name, DataDirectoryOf(builder, name));
        }

        if (runAs == "auto")
        {
            runAs = ContainerRuntime.Answers(builder.Configuration) ? "container" : "executable";
        }

        return runAs switch
        {
            // A data volume keeps the count going across container restarts. Aspire runs the
            // container's redis-server through a shell and adds these arguments to its command.
            "container" => builder.AddRedis(name).WithDataVolume().WithArgs(RedisDurability.Arguments),
            "executable" => builder.AddRedisServer(name),
            _ => throw new InvalidOperationException(
                $"{RunAsSetting} is '{builder.Configuration[RunAsSetting]}'. Use 'auto' (the default), 'container' (needs Docker or Podman) " +
                "or 'executable' (needs redis-server on PATH)."),
        };
    }

    /// <summary>
    /// redis-server as an executable resource named <c>{name}-server</c>, and a connection string
    /// resource named <paramref name="name"/> built from its endpoint, in the form the container's has.
    /// Waiting for the connection string waits until the server answers an authenticated PING.
    /// </summary>
    /// <remarks>
    /// Unlike the container it stays plain TCP when a developer certificate is trusted: it listens on
    /// loopback only. Like the container's data volume, its append-only file outlives the AppHost.
    /// </remarks>
    private static IResourceBuilder<ConnectionStringResource> AddRedisServer(this IDistributedApplicationBuilder builder, string name)
    {
        // Generated once and kept in user secrets, as AddRedis's password is; no commas or other
        // punctuation, which StackExchange.Redis would read as separators.
        var password = builder.AddParameter($"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);

        var dataDirectory = DataDirectoryOf(builder, name);

        // Not proxied: Aspire picks one free port as both the endpoint's port and its target port, and
        // redis-server itself listens there, so the connection string names the port its config names.
        var configFile = Path.Combine(dataDirectory, RedisConfigFile.ServerFileName);
        var server = builder.AddRedisServerExecutable($"{name}-server", dataDirectory, configFile)
            .WithEndpoint(name: "tcp", scheme: "redis", isProxied: false);
        var endpoint = server.GetEndpoint("tcp");

        var connectionString = ReferenceExpression.Create(
            $"{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)},password={password}");

        // The health check package Aspire's own Redis resource uses: healthy once an authenticated
        // command succeeds, so waiting for it means what waiting for the container means.
        var healthCheck = $"{name}-server_check";
        string? resolved = null;
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server.Resource, async (_, ct) =>
        {
            // Written on every start: the port is new each run, and a lost data directory loses the file too.
            var port = await endpoint.Property(EndpointProperty.TargetPort).GetValueAsync(ct);
            var secret = await password.Resource.GetValueAsync(ct);
            await RedisConfigFile.WriteAsync(configFile, RedisConfigFile.ServerLines(port!, secret!, dataDirectory), ct);
            resolved = await connectionString.GetValueAsync(ct);
        });
        builder.Services.AddHealthChecks().AddRedis(
            _ => resolved ?? throw new InvalidOperationException($"The connection string of {name}-server is not known yet."),
            healthCheck);
        server.WithHealthCheck(healthCheck);

        return builder.AddConnectionString(name, connectionString)
            .WaitFor(server);
    }

    /// <summary>
    /// With a replica to lose the primary to, the EventService publishes a tick only once the replica
    /// holds it (<c>Ticks:ReplicaAcknowledgements</c>), so a failover cannot take back a tick anyone saw.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithReplicaAcknowledgements(this IResourceBuilder<ProjectResource> eventService,
        IConfiguration configuration) =>
        UsesSentinel(configuration) ? eventService.WithEnvironment("Ticks__ReplicaAcknowledgements", "1") : eventService;

    private static string DataDirectoryOf(IDistributedApplicationBuilder builder, string name)
    {
        var dataDirectory = builder.Configuration[DataDirectorySetting] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, builder.AppHostDirectory)
            : Path.Combine(builder.AppHostDirectory, ".aspiresse", name);
        Directory.CreateDirectory(dataDirectory);
        return dataDirectory;
    }
}
