using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireSse.AppHost;

/// <summary>
/// The highly available Redis (<c>Redis:Topology=sentinel</c>): a primary, a replica and three
/// Sentinels, each a redis-server process of its own on loopback. The services get one connection
/// string naming the three Sentinels and the service name, and StackExchange.Redis finds the primary
/// through them, and follows a promotion by itself.
/// </summary>
internal static class RedisSentinelResources
{
    /// <summary>The name the Sentinels monitor the primary under; the connection string's <c>serviceName</c>.</summary>
    public const string ServiceName = "aspiresse";

    /// <summary>How long a server must not answer before a Sentinel calls it down (<c>down-after-milliseconds</c>).</summary>
    public const string DownAfterSetting = "Redis:Sentinel:DownAfter";

    private const int SentinelCount = 3;
    private const int Quorum = 2;
    private static readonly TimeSpan DefaultDownAfter = TimeSpan.FromSeconds(2);

    public static IResourceBuilder<ConnectionStringResource> AddRedisWithSentinel(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        var password = builder.AddParameter($"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        var downAfter = builder.Configuration.GetValue(DownAfterSetting, DefaultDownAfter);
        if (downAfter < TimeSpan.FromMilliseconds(100))
        {
            throw new InvalidOperationException($"{DownAfterSetting} is {downAfter}; use 100 ms or more.");
        }

        var primary = builder.AddRedisNode($"{name}-primary", Path.Combine(dataDirectory, "primary"), password, replicaOf: null);
        var replica = builder.AddRedisNode($"{name}-replica", Path.Combine(dataDirectory, "replica"), password, replicaOf: primary);
        var sentinels = Enumerable.Range(1, SentinelCount)
            .Select(i => builder.AddSentinel($"{name}-sentinel-{i}", Path.Combine(dataDirectory, $"sentinel-{i}"), password, primary, downAfter))
            .ToList();

        // A node restarted during the run must not come back as a second primary with its old data:
        // it asks the Sentinels who leads now and starts as that one's replica, as a Kubernetes
        // operator's start script for Redis does.
        foreach (var node in (IResourceBuilder<ExecutableResource>[])[primary, replica])
        {
            node.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(node.Resource, async (_, ct) =>
                await RedisNodeConfig.WriteAsync(node.Resource, password.Resource, sentinels.Select(s => s.Resource), ct));
        }

        var sentinelList = ReferenceExpression.Create(
            $"127.0.0.1:{sentinels[0].GetEndpoint("tcp").Property(EndpointProperty.Port)},127.0.0.1:{sentinels[1].GetEndpoint("tcp").Property(EndpointProperty.Port)},127.0.0.1:{sentinels[2].GetEndpoint("tcp").Property(EndpointProperty.Port)}");
        var connectionString = ReferenceExpression.Create($"{sentinelList},serviceName={ServiceName},password={password}");

        var redis = builder.AddConnectionString(name, connectionString)
            .WaitFor(primary)
            .WaitFor(replica);
        foreach (var sentinel in sentinels)
        {
            redis.WaitFor(sentinel);
        }

        return redis;
    }

    private static IResourceBuilder<ExecutableResource> AddRedisNode(this IDistributedApplicationBuilder builder, string name,
        string directory, IResourceBuilder<ParameterResource> password, IResourceBuilder<ExecutableResource>? replicaOf)
    {
        Directory.CreateDirectory(directory);
        var node = builder.AddRedisServerExecutable(name, directory, Path.Combine(directory, RedisConfigFile.ServerFileName))
            .WithEndpoint(name: "tcp", scheme: "redis", isProxied: false)
            .WithAnnotation(new RedisNodeAnnotation(directory, replicaOf?.Resource));

        // Healthy when it answers and, as a replica, is in sync with its primary: so waiting for the
        // replica's health after it returns waits for the resync.
        var check = $"{name}_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(check, async ct =>
        {
            var port = node.GetEndpoint("tcp") is { IsAllocated: true } endpoint ? endpoint.Port : (int?)null;
            var ping = await RedisProbe.PingAsync(port, await password.Resource.GetValueAsync(ct), ct);
            return ping.Status != HealthStatus.Healthy ? ping : await RedisNodeConfig.RoleHealthAsync(port!.Value, (await password.Resource.GetValueAsync(ct))!, ct);
        });
        return node.WithHealthCheck(check);
    }

    private static IResourceBuilder<ExecutableResource> AddSentinel(this IDistributedApplicationBuilder builder, string name,
        string directory, IResourceBuilder<ParameterResource> password, IResourceBuilder<ExecutableResource> primary, TimeSpan downAfter)
    {
        Directory.CreateDirectory(directory);
        var configFile = Path.Combine(directory, "sentinel.conf");
        var sentinel = builder.AddRedisServerExecutable(name, directory, configFile, "--sentinel")
            .WithEndpoint(name: "tcp", scheme: "redis", isProxied: false);

        // Written fresh on the first start of each AppHost run (ports change between runs); a
        // Sentinel restarted during the run keeps the file it rewrote itself, with what it learned.
        var written = false;
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(sentinel.Resource, async (_, ct) =>
        {
            if (written && File.Exists(configFile))
            {
                return;
            }

            var port = await sentinel.GetEndpoint("tcp").Property(EndpointProperty.Port).GetValueAsync(ct);
            var primaryPort = await primary.GetEndpoint("tcp").Property(EndpointProperty.Port).GetValueAsync(ct);
            var secret = await password.Resource.GetValueAsync(ct);
            await RedisConfigFile.WriteAsync(configFile,
            [
                $"port {port}",
                "bind 127.0.0.1",
                $"dir {RedisConfigFile.Quoted(directory)}",
                $"requirepass {secret}",
                $"sentinel sentinel-pass {secret}",
                $"sentinel monitor {ServiceName} 127.0.0.1 {primaryPort} {Quorum}",
                $"sentinel auth-pass {ServiceName} {secret}",
                $"sentinel down-after-milliseconds {ServiceName} {(long)downAfter.TotalMilliseconds}",
                // Also the pause before a failed failover is tried again, and before the old primary,
                // once back, is told to follow the new one.
                $"sentinel failover-timeout {ServiceName} {(long)Math.Max(downAfter.TotalMilliseconds * 5, 5000)}",
                $"sentinel parallel-syncs {ServiceName} 1",
            ], ct);
            written = true;
        });

        var check = $"{name}_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(check, async ct =>
            await RedisProbe.PingAsync(sentinel.GetEndpoint("tcp") is { IsAllocated: true } endpoint ? endpoint.Port : null,
                await password.Resource.GetValueAsync(ct), ct));
        return sentinel.WithHealthCheck(check);
    }

    /// <summary>Where a node keeps its data and which node it replicates on first start (null: it starts as the primary).</summary>
    internal sealed record RedisNodeAnnotation(string Directory, ExecutableResource? InitialPrimary) : IResourceAnnotation;

    /// <summary>A node's <c>redis.conf</c>: a file, not arguments, so that the Sentinels' CONFIG REWRITE can record its role.</summary>
    private static class RedisNodeConfig
    {
        public static async Task WriteAsync(ExecutableResource node, ParameterResource password, IEnumerable<ExecutableResource> sentinels,
            CancellationToken cancellationToken)
        {
            var annotation = node.Annotations.OfType<RedisNodeAnnotation>().Single();
            var port = await new EndpointReference(node, "tcp").Property(EndpointProperty.Port).GetValueAsync(cancellationToken);
            var secret = (await password.GetValueAsync(cancellationToken))!;

            // Who leads now, if the Sentinels know; on the first start of a run they are not up yet and
            // the initial roles apply.
            int? primaryPort = null;
            foreach (var sentinel in sentinels)
            {
                if (new EndpointReference(sentinel, "tcp") is not { IsAllocated: true } endpoint)
                {
                    continue;
                }

                try
                {
                    var replies = await RedisProbe.SendAsync(endpoint.Port, secret,
                        [["SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName]], cancellationToken);
                    if (replies[0] is object?[] address && address is [string, string reported])
                    {
                        primaryPort = int.Parse(reported, CultureInfo.InvariantCulture);
                        break;
                    }
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or OperationCanceledException
                                               or InvalidOperationException)
                {
                    // Not running (yet): ask the next one.
                }
            }

            if (primaryPort is null && annotation.InitialPrimary is { } initial)
            {
                primaryPort = int.Parse(
                    (await new EndpointReference(initial, "tcp").Property(EndpointProperty.Port).GetValueAsync(cancellationToken))!,
                    CultureInfo.InvariantCulture);
            }

            var ownPort = int.Parse(port!, CultureInfo.InvariantCulture);
            var lines = RedisConfigFile.ServerLines(port!, secret, annotation.Directory);
            lines.Add($"masterauth {secret}");
            if (primaryPort is { } leader && leader != ownPort)
            {
                lines.Add($"replicaof 127.0.0.1 {leader}");
            }

            await RedisConfigFile.WriteAsync(Path.Combine(annotation.Directory, RedisConfigFile.ServerFileName), lines, cancellationToken);
        }

        public static async Task<HealthCheckResult> RoleHealthAsync(int port, string password, CancellationToken cancellationToken)
        {
            try
            {
                var replies = await RedisProbe.SendAsync(port, password, [["ROLE"]], cancellationToken);
                return (replies[0] as object?[]) switch
                {
                    ["master", ..] => HealthCheckResult.Healthy("primary"),
                    ["slave", _, var primaryPort, "connected", ..] => HealthCheckResult.Healthy($"replica of 127.0.0.1:{primaryPort}, in sync"),
                    ["slave", _, var primaryPort, var state, ..] => HealthCheckResult.Unhealthy($"replica of 127.0.0.1:{primaryPort}, {state}"),
                    _ => HealthCheckResult.Unhealthy($"ROLE answered {replies[0]}"),
                };
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or OperationCanceledException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy(ex.Message, ex);
            }
        }
    }
}
