using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AspireSse.SystemTesting;

/// <summary>
/// The AppHost's whole system, started the way <c>dotnet run --project AppHost</c> starts it, through
/// Aspire.Hosting.Testing: redis-server, both EventService instances, the three WebFrontend replicas
/// behind one URL. Faults are caused the way an Aspire user would cause them: resource commands, a
/// signal to a replica's own process, admin commands to Redis. Disposing it stops every resource.
/// </summary>
public sealed class RunningSystem : IAsyncDisposable
{
    public const string WebFrontend = "webfrontend";
    public const string EventService = "eventservice";
    public const string RedisServer = "redis-server";
    public const string RedisPrimary = "redis-primary";
    public const string RedisReplica = "redis-replica";
    public const string SentinelServiceName = "aspiresse";
    public static readonly IReadOnlyList<string> RedisSentinels = ["redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"];

    /// <summary>Long enough for DCP, Redis and six processes to start on a busy two-core machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>How long any one thing a test waits for may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly IDistributedApplicationTestingBuilder _builder;
    private readonly string _redisData;
    private readonly bool _ownsRedisData;
    private readonly ConcurrentDictionary<string, ResourceEvent> _latest = new();
    private readonly CancellationTokenSource _stopWatching = new();
    private readonly Dictionary<string, int> _expectedReplicas;
    private readonly HashSet<string> _executables;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _watching = Task.CompletedTask;
    private ConnectionMultiplexer? _redis;

    private RunningSystem(IDistributedApplicationTestingBuilder builder, DistributedApplication app, string redisData,
        bool ownsRedisData, Dictionary<string, int> expectedReplicas, HashSet<string> executables)
    {
        _executables = executables;
        _builder = builder;
        App = app;
        _redisData = redisData;
        _ownsRedisData = ownsRedisData;
        _expectedReplicas = expectedReplicas;
    }

    public DistributedApplication App { get; }

    /// <summary>Where the AppHost's Redis keeps its data (<c>Redis:DataDirectory</c>).</summary>
    public string RedisDataDirectory => _redisData;

    /// <summary>The one URL browsers use: Aspire's proxy in front of every WebFrontend replica.</summary>
    public Uri WebFrontendUrl => App.GetEndpoint(WebFrontend, "http");

    /// <summary>The WebFrontend replicas behind <see cref="WebFrontendUrl"/>, as they are now.</summary>
    public IReadOnlyList<Replica> WebFrontends => Instances(WebFrontend);

    public IReadOnlyList<Replica> EventServices => Instances(EventService);

    public static async Task<RunningSystem> StartAsync(SystemSettings settings, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Five more processes (two nodes, three Sentinels), and each service finds the primary through them.
        var startTimeout = settings.Sentinel ? StartTimeout * 2 : StartTimeout;
        timeout.CancelAfter(startTimeout);
        var ct = timeout.Token;

        // Each system gets its own Redis data, so one test's ticks never show up in another's. Tests
        // run redis-server even where a container runtime answers: they restart it with and without
        // its data, which needs the data directory in hand.
        var redisData = settings.RedisDataDirectory ?? Directory.CreateTempSubdirectory("aspiresse-redis-").FullName;
        string[] arguments = settings.Sentinel
            ?
            [
                "--Redis:RunAs=executable", $"--Redis:DataDirectory={redisData}", "--Redis:Topology=sentinel",
                $"--Redis:Sentinel:DownAfter={settings.SentinelDownAfter.ToString("c", CultureInfo.InvariantCulture)}",
            ]
            : ["--Redis:RunAs=executable", $"--Redis:DataDirectory={redisData}"];
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.AspireSse_AppHost>(new DistributedApplicationTestingBuilderOptions { EnableDashboard = settings.Dashboard }, arguments, ct)
            .WaitAsync(ct);
        DistributedApplication? app = null;
        try
        {
            Configure(builder, settings);
            var expected = builder.Resources.OfType<ProjectResource>()
                .ToDictionary(r => r.Name, r => r.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1);
            // The Redis processes; not the rebuilders Aspire adds beside each project, which never start by themselves.
            var executables = builder.Resources.OfType<ExecutableResource>().Select(r => r.Name).Where(n => n.StartsWith("redis-", StringComparison.Ordinal)).ToHashSet();
            app = await builder.BuildAsync(ct).WaitAsync(ct);
            var system = new RunningSystem(builder, app, redisData, settings.RedisDataDirectory is null, expected, executables);
            system._watching = system.WatchAsync();
            try
            {
                var started = Stopwatch.StartNew();
                await app.StartAsync(ct).WaitAsync(ct);
                // Its own deadline a little before the start's, so a slow start says which resource held it up.
                await system.WaitUntilEveryReplicaIsHealthyAsync(ct, startTimeout - started.Elapsed - TimeSpan.FromSeconds(5));
                return system;
            }
            catch
            {
                await system.DisposeAsync();
                throw;
            }
        }
        catch when (app is null)
        {
            await builder.DisposeAsync();
            if (settings.RedisDataDirectory is null)
            {
                Directory.Delete(redisData, recursive: true);
            }

            throw;
        }
    }

    private static void Configure(IDistributedApplicationTestingBuilder builder, SystemSettings settings)
    {
        var eventService = builder.CreateResourceBuilder<ProjectResource>(EventService);
        foreach (var (key, value) in settings.EventService)
        {
            eventService.WithEnvironment(key, value);
        }

        var webFrontend = builder.CreateResourceBuilder<ProjectResource>(WebFrontend);
        foreach (var (key, value) in settings.WebFrontend)
        {
            webFrontend.WithEnvironment(key, value);
        }

        if (settings.WebFrontendReplicas is { } replicas)
        {
            webFrontend.WithAnnotation(new ReplicaAnnotation(replicas), ResourceAnnotationMutationBehavior.Replace);
        }

        var project = webFrontend.Resource.GetProjectMetadata().ProjectPath;
        var redis = builder.CreateResourceBuilder(builder.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == "redis"));
        foreach (var (name, extra) in settings.ExtraWebFrontends)
        {
            var own = builder.AddProject(name, project)
                .WithReference(redis)
                .WaitFor(redis)
                .WithHttpHealthCheck("/health");
            foreach (var (key, value) in settings.WebFrontend.Concat(extra))
            {
                own.WithEnvironment(key, value);
            }
        }

        if (!settings.Dashboard)
        {
            // Without the dashboard Aspire still points the services at its OTLP port, where nothing
            // listens: each service would then spend its shutdown retrying the export, past the time
            // DCP allows a stop. No endpoint means no exporter (ServiceDefaults).
            foreach (var service in builder.Resources.OfType<ProjectResource>())
            {
                builder.CreateResourceBuilder(service).WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", "");
            }
        }
    }

    /// <summary>The latest state of every instance of a resource, kept from Aspire's notifications.</summary>
    private async Task WatchAsync()
    {
        try
        {
            await foreach (var resourceEvent in App.ResourceNotifications.WatchAsync(_stopWatching.Token))
            {
                _latest[resourceEvent.ResourceId] = resourceEvent;
                Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (OperationCanceledException) when (_stopWatching.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits until what Aspire reports about the resources satisfies <paramref name="done"/>.</summary>
    public async Task WaitForStateAsync(Func<IReadOnlyCollection<ResourceEvent>, bool> done, string what, CancellationToken cancellationToken,
        TimeSpan? timeout = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? Timeout);
        try
        {
            while (true)
            {
                var changed = Volatile.Read(ref _changed).Task;
                if (done([.. _latest.Values]))
                {
                    return;
                }

                await changed.WaitAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out waiting for {what}. Resources: {Describe()}");
        }
    }

    /// <summary>Waits until every instance of every project (and redis-server) runs and is healthy.</summary>
    public async Task WaitUntilEveryReplicaIsHealthyAsync(CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        await WaitForStateAsync(
            events => _executables.All(e => IsHealthy(events, e, 1)) && _expectedReplicas.All(r => IsHealthy(events, r.Key, r.Value)),
            "every resource to run and be healthy", cancellationToken, timeout ?? StartTimeout);
        foreach (var instance in _expectedReplicas.Keys.SelectMany(Instances))
        {
            await WaitUntilAnsweringAsync(instance, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until the instance answers <c>/health</c> at its own URL: tests connect to replicas
    /// directly, and Aspire reporting an instance healthy did not always mean its own port answered
    /// yet (a direct connection right after start was refused twice in many runs).
    /// </summary>
    private static Task<int> WaitUntilAnsweringAsync(Replica instance, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(() => HealthProbe.StatusAsync(instance.Url), status => status == 200, Timeout,
            $"{instance.ResourceId} to answer /health at {instance.Url}", cancellationToken);

    private static bool IsHealthy(IEnumerable<ResourceEvent> events, string name, int instances) =>
        events.Count(e => e.Resource.Name == name
            && e.Snapshot.State?.Text == KnownResourceStates.Running
            && e.Snapshot.HealthStatus == HealthStatus.Healthy) == instances;

    /// <summary>Every instance of a resource (one, unless it has replicas), as they are now.</summary>
    public IReadOnlyList<Replica> Instances(string resource) =>
        [.. _latest.Values
            .Where(e => e.Resource.Name == resource)
            .OrderBy(e => e.ResourceId, StringComparer.Ordinal)
            .Select(e => new Replica(resource, e.ResourceId, UrlOf(e)))];

    private static Uri UrlOf(ResourceEvent resourceEvent) =>
        resourceEvent.Snapshot.EnvironmentVariables
            .Where(v => v.Name == "ASPNETCORE_URLS" && v.Value is { Length: > 0 })
            .Select(v => new Uri(v.Value!.Split(';')[0]))
            .FirstOrDefault()
        ?? new Uri("http://invalid");

    /// <summary>
    /// The process id of the service itself. Aspire runs a project as <c>dotnet run</c>, whose process
    /// id the resource reports; the service is that process's child.
    /// </summary>
    public int ProcessIdOf(Replica replica)
    {
        var snapshot = _latest[replica.ResourceId].Snapshot;
        var dotnetRun = snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value switch
        {
            int pid => pid,
            string text when int.TryParse(text, CultureInfo.InvariantCulture, out var pid) => pid,
            var other => throw new InvalidOperationException($"{replica.ResourceId} reports no process id ({other ?? "none"}); state {snapshot.State?.Text}."),
        };
        if (_executables.Contains(replica.ResourceName))
        {
            return dotnetRun;
        }

        var children = File.ReadAllText($"/proc/{dotnetRun}/task/{dotnetRun}/children")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return children is [var child, ..]
            ? int.Parse(child, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{replica.ResourceId}'s dotnet run (pid {dotnetRun}) has no child process.");
    }

    /// <summary>The arguments Aspire started the instance with, as the dashboard shows them.</summary>
    public IReadOnlyList<string> LaunchArgumentsOf(Replica replica) =>
        _latest[replica.ResourceId].Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.args")?.Value switch
        {
            IEnumerable<string> arguments => [.. arguments],
            var other => throw new InvalidOperationException($"{replica.ResourceId} reports no arguments ({other ?? "none"})."),
        };

    /// <summary>SIGKILL to the service's own process, as a crash or the OOM killer would; waits until Aspire sees it gone.</summary>
    public async Task KillAsync(Replica replica, CancellationToken cancellationToken)
    {
        using (var process = Process.GetProcessById(ProcessIdOf(replica)))
        {
            process.Kill();
            await process.WaitForExitAsync(cancellationToken);
        }

        await WaitForStateAsync(
            events => events.Single(e => e.ResourceId == replica.ResourceId).Snapshot.State?.Text != KnownResourceStates.Running,
            $"Aspire to see {replica.ResourceId} stop", cancellationToken);
    }

    /// <summary>
    /// Suspends the service's process (SIGSTOP) until the scope is disposed (SIGCONT): its sockets stay
    /// open but it does nothing, as in a long pause of the machine it runs on.
    /// </summary>
    public IDisposable Freeze(Replica replica) => new FrozenProcess(ProcessIdOf(replica));

    private sealed class FrozenProcess : IDisposable
    {
        private readonly int _pid;
        private int _thawed;

        public FrozenProcess(int pid)
        {
            _pid = pid;
            PosixSignals.Send(pid, PosixSignals.SigStop);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _thawed, 1) == 0)
            {
                PosixSignals.Send(_pid, PosixSignals.SigCont);
            }
        }
    }

    /// <summary>Runs one of the dashboard's resource commands (<c>stop</c>, <c>start</c>, <c>restart</c>) on one instance.</summary>
    public async Task ExecuteCommandAsync(string resourceId, string command, CancellationToken cancellationToken)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resourceId, command, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"'{command}' on {resourceId} failed: {result.Message}");
        }
    }

    /// <summary>Restarts an instance with the dashboard's restart command and waits until it is healthy again.</summary>
    public async Task RestartAsync(Replica replica, CancellationToken cancellationToken)
    {
        var before = _latest[replica.ResourceId].Snapshot.StartTimeStamp;
        await ExecuteCommandAsync(replica.ResourceId, "restart", cancellationToken);
        await WaitUntilStartedAgainAsync(replica.ResourceId, before, cancellationToken);
        await WaitUntilAnsweringAsync(Instances(replica.ResourceName).Single(r => r.ResourceId == replica.ResourceId), cancellationToken);
    }

    /// <summary>
    /// Starts an instance that was killed or stopped (the dashboard's start command) and waits until it
    /// answers <c>/health</c> itself. Aspire's own health state is not waited for: it probes the
    /// resource's URL, the proxy, which may hand the probe to a replica that is full.
    /// </summary>
    public async Task StartAgainAsync(Replica replica, CancellationToken cancellationToken)
    {
        var before = _latest[replica.ResourceId].Snapshot.StartTimeStamp;
        await ExecuteCommandAsync(replica.ResourceId, "start", cancellationToken);
        await WaitForStateAsync(
            events => events.Single(e => e.ResourceId == replica.ResourceId) is { Snapshot: var s }
                && s.StartTimeStamp != before && s.State?.Text == KnownResourceStates.Running,
            $"{replica.ResourceId} to run again", cancellationToken);
        await WaitUntilAnsweringAsync(Instances(replica.ResourceName).Single(r => r.ResourceId == replica.ResourceId), cancellationToken);
    }

    /// <summary>Whether Aspire sees the instance running now.</summary>
    public bool IsRunning(Replica replica) =>
        _latest.TryGetValue(replica.ResourceId, out var latest) && latest.Snapshot.State?.Text == KnownResourceStates.Running;

    /// <summary>
    /// Stops redis-server and starts it again, keeping its append-only file or (<paramref name="keepData"/>
    /// false) losing it, as a server that came back on a new disk would.
    /// </summary>
    public Task RestartRedisAsync(bool keepData, CancellationToken cancellationToken) =>
        RestartRedisAsync(keepData ? null : () => RedisDataCopy.DeleteContents(_redisData), cancellationToken);

    /// <summary>A copy of redis-server's data as it stands now, for <see cref="RestartRedisFromAsync"/>.</summary>
    public RedisDataCopy CopyRedisData() => RedisDataCopy.Take(_redisData);

    /// <summary>Stops redis-server and starts it again from <paramref name="older"/>: Redis back with older data.</summary>
    public Task RestartRedisFromAsync(RedisDataCopy older, CancellationToken cancellationToken) =>
        RestartRedisAsync(() => older.RestoreInto(_redisData), cancellationToken);

    private async Task RestartRedisAsync(Action? whileStopped, CancellationToken cancellationToken)
    {
        var redis = Instances(RedisServer).Single();
        var before = _latest[redis.ResourceId].Snapshot.StartTimeStamp;
        await ExecuteCommandAsync(redis.ResourceId, "stop", cancellationToken);
        await WaitForStateAsync(
            events => events.Single(e => e.ResourceId == redis.ResourceId).Snapshot.State?.Text is { } state
                && KnownResourceStates.TerminalStates.Contains(state),
            "redis-server to stop", cancellationToken);
        whileStopped?.Invoke();
        await ExecuteCommandAsync(redis.ResourceId, "start", cancellationToken);
        await WaitUntilStartedAgainAsync(redis.ResourceId, before, cancellationToken);
    }

    /// <summary>
    /// Starts a Redis process that was killed or stopped (the dashboard's start command) and waits until
    /// Aspire reports it running and healthy: for a node, answering and, as a replica, in sync.
    /// </summary>
    public async Task StartRedisAgainAsync(Replica redis, CancellationToken cancellationToken)
    {
        var before = _latest[redis.ResourceId].Snapshot.StartTimeStamp;
        await ExecuteCommandAsync(redis.ResourceId, "start", cancellationToken);
        await WaitUntilStartedAgainAsync(redis.ResourceId, before, cancellationToken);
    }

    /// <summary>Waits until Aspire reports the instance healthy (after a fault that made it unhealthy, say).</summary>
    public Task WaitUntilHealthyAsync(Replica instance, CancellationToken cancellationToken) =>
        WaitForStateAsync(
            events => events.Single(e => e.ResourceId == instance.ResourceId) is { Snapshot: var s }
                && s.State?.Text == KnownResourceStates.Running && s.HealthStatus == HealthStatus.Healthy,
            $"{instance.ResourceId} to run and be healthy", cancellationToken);

    /// <summary>The port a Redis process (node or Sentinel) listens on, on 127.0.0.1.</summary>
    public int RedisPortOf(string resource) => App.GetEndpoint(resource, "tcp").Port;

    /// <summary>
    /// What a node says it is, asked directly (not through the Sentinels): <c>primary</c>,
    /// <c>replica of &lt;node&gt; &lt;state&gt;</c> (state <c>connected</c> once in sync), or why it did not answer.
    /// </summary>
    public async Task<string> RoleOfAsync(string node, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await ConnectionMultiplexer.ConnectAsync(await DirectOptionsAsync(node, CommandMap.Default, cancellationToken));
            return await client.GetServer("127.0.0.1", RedisPortOf(node)).RoleAsync() switch
            {
                Role.Master => "primary",
                Role.Replica r => $"replica of {(r.MasterPort == RedisPortOf(RedisPrimary) ? RedisPrimary : r.MasterPort == RedisPortOf(RedisReplica) ? RedisReplica : r.MasterPort.ToString(CultureInfo.InvariantCulture))} {r.State}",
                var other => other.Value,
            };
        }
        catch (RedisException ex)
        {
            return $"no answer ({ex.Message})";
        }
    }

    /// <summary>A setting of a Redis node (or the single redis-server) as it runs, asked directly (<c>CONFIG GET</c>).</summary>
    public async Task<string?> ConfigOfAsync(string node, string parameter, CancellationToken cancellationToken)
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(await DirectOptionsAsync(node, CommandMap.Default, cancellationToken));
        return await client.GetServer("127.0.0.1", RedisPortOf(node)).ConfigGetAsync(parameter) switch
        {
            [var setting] => setting.Value,
            var other => throw new InvalidOperationException($"CONFIG GET {parameter} on {node} answered {other.Length} settings."),
        };
    }

    /// <summary>Has a node write its running settings back into its config file (<c>CONFIG REWRITE</c>), as a Sentinel does after changing its role.</summary>
    public async Task RewriteConfigAsync(string node, CancellationToken cancellationToken)
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(await DirectOptionsAsync(node, CommandMap.Default, cancellationToken));
        await client.GetServer("127.0.0.1", RedisPortOf(node)).ConfigRewriteAsync();
    }

    /// <summary>Waits until <paramref name="node"/> is a replica of <paramref name="primary"/>, in sync.</summary>
    public Task WaitUntilReplicaInSyncAsync(string node, string primary, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(() => RoleOfAsync(node, cancellationToken), role => role == $"replica of {primary} connected", Timeout,
            $"{node} to be {primary}'s replica, in sync", cancellationToken);

    /// <summary>Asks a Sentinel to hand the primary role to the replica (<c>SENTINEL FAILOVER</c>), as an operator would before maintenance.</summary>
    public async Task SwitchOverAsync(CancellationToken cancellationToken)
    {
        var sentinel = RedisSentinels[0];
        await using var client = await ConnectionMultiplexer.ConnectAsync(await DirectOptionsAsync(sentinel, CommandMap.Sentinel, cancellationToken));
        await client.GetServer("127.0.0.1", RedisPortOf(sentinel)).SentinelFailoverAsync(SentinelServiceName);
    }

    private async Task<ConfigurationOptions> DirectOptionsAsync(string resource, CommandMap commands, CancellationToken cancellationToken) => new()
    {
        EndPoints = { { "127.0.0.1", RedisPortOf(resource) } },
        Password = await App.GetConnectionStringAsync("redis", cancellationToken) is { } connection ? ConfigurationOptions.Parse(connection).Password : null,
        CommandMap = commands,
        AllowAdmin = true,
        ConnectTimeout = 2000,
    };

    /// <summary>
    /// Which node the Sentinels name as the primary now, asked of each running Sentinel in turn
    /// (null when none answers or it names a node that is not one of the two).
    /// </summary>
    public async Task<string?> PrimaryNodeAsync(CancellationToken cancellationToken)
    {
        foreach (var sentinel in RedisSentinels)
        {
            try
            {
                await using var client = await ConnectionMultiplexer.ConnectAsync(await DirectOptionsAsync(sentinel, CommandMap.Sentinel, cancellationToken));
                var address = await client.GetServer("127.0.0.1", RedisPortOf(sentinel)).SentinelGetMasterAddressByNameAsync(SentinelServiceName);
                if (address is System.Net.IPEndPoint { Port: var port })
                {
                    return port == RedisPortOf(RedisPrimary) ? RedisPrimary : port == RedisPortOf(RedisReplica) ? RedisReplica : null;
                }
            }
            catch (RedisException)
            {
                // That Sentinel is down or not reachable: ask the next.
            }
        }

        return null;
    }

    /// <summary>Waits until an instance started after <paramref name="before"/> runs and is healthy.</summary>
    private Task WaitUntilStartedAgainAsync(string resourceId, DateTime? before, CancellationToken cancellationToken) =>
        WaitForStateAsync(
            events => events.Single(e => e.ResourceId == resourceId) is { Snapshot: var s }
                && s.StartTimeStamp != before && s.State?.Text == KnownResourceStates.Running && s.HealthStatus == HealthStatus.Healthy,
            $"{resourceId} to run and be healthy again", cancellationToken);

    /// <summary>A test's own Redis client, with admin commands (<c>CLIENT KILL</c>), that rides out Redis restarts.</summary>
    public async Task<IDatabase> RedisAsync(CancellationToken cancellationToken)
    {
        if (_redis is null)
        {
            _redis = await TestRedisClient.ConnectAsync(await App.GetConnectionStringAsync("redis", cancellationToken)
                ?? throw new InvalidOperationException("The redis resource has no connection string."));
        }

        return _redis.GetDatabase();
    }

    /// <summary>Everything the instance has printed so far (the dashboard's console log of it).</summary>
    public async Task<string> LogsOfAsync(Replica replica, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(replica.ResourceId)
                           .WithCancellation(cancellationToken))
        {
            lines.AddRange(batch.Select(l => l.Content));
        }

        return string.Join('\n', lines);
    }

    /// <summary>Waits until the instance has printed a line that <paramref name="match"/> accepts.</summary>
    public Task WaitForLogAsync(Replica replica, Func<string, bool> match, string what, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(async () => (await LogsOfAsync(replica, cancellationToken)).Split('\n').Any(match), found => found,
            Timeout, what, cancellationToken);

    private string Describe() => string.Join("; ", _latest.Values
        .Where(e => e.Resource is ProjectResource or ExecutableResource)
        .OrderBy(e => e.ResourceId, StringComparer.Ordinal)
        .Select(e => $"{e.ResourceId} {e.Snapshot.State?.Text}/{e.Snapshot.HealthStatus?.ToString() ?? "-"}"));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
        finally
        {
            await _stopWatching.CancelAsync();
            await _watching;
            await App.DisposeAsync();
            await _builder.DisposeAsync();
            _stopWatching.Dispose();
            try
            {
                if (_ownsRedisData)
                {
                    Directory.Delete(_redisData, recursive: true);
                }
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing a test over.
            }
        }
    }
}
