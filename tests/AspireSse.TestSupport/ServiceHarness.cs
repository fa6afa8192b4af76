using AspireSse.TestSupport.Processes;
using StackExchange.Redis;

namespace AspireSse.TestSupport;

/// <summary>
/// A private redis-server plus whichever service processes a test starts on it — real processes,
/// with the environment the AppHost would give them. Dispose stops all of them.
/// </summary>
public sealed class ServiceHarness : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProcess> _services = [];
    private ConnectionMultiplexer? _redisClient;

    private ServiceHarness(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; }

    public IReadOnlyList<ServiceProcess> Services => _services;

    public static async Task<ServiceHarness> StartAsync(bool redisPersistence = true, RedisTls? redisTls = null,
        CancellationToken cancellationToken = default)
    {
        var redis = RedisServer.Create(Discard, redisPersistence, redisTls);
        var harness = new ServiceHarness(redis);
        try
        {
            redis.Start();
            await redis.WaitReadyAsync(StartTimeout, cancellationToken);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Redis, an EventService and one WebFrontend, each started and healthy.</summary>
    public static async Task<ServiceHarness> StartRelayAsync(IReadOnlyDictionary<string, string?> eventService,
        IReadOnlyDictionary<string, string?> webFrontend, CancellationToken cancellationToken)
    {
        var harness = await StartAsync(cancellationToken: cancellationToken);
        try
        {
            await harness.StartEventServiceAsync(eventService, cancellationToken: cancellationToken);
            await harness.StartWebFrontendAsync(webFrontend, cancellationToken: cancellationToken);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts an EventService and waits until it reports healthy (it has published).</summary>
    public Task<ServiceProcess> StartEventServiceAsync(IReadOnlyDictionary<string, string?>? settings = null,
        string name = "eventservice", CancellationToken cancellationToken = default) =>
        StartAsync(ServiceProcesses.CreateEventService(Redis, name, settings ?? new Dictionary<string, string?>(), Discard), cancellationToken);

    /// <summary>Starts a WebFrontend and waits until it reports healthy (it is subscribed).</summary>
    /// <param name="sharedPort">A port shared with other replicas (<c>PortSharing:Port</c>), or 0.</param>
    public Task<ServiceProcess> StartWebFrontendAsync(IReadOnlyDictionary<string, string?>? settings = null,
        string name = "webfrontend-1", int sharedPort = 0, CancellationToken cancellationToken = default) =>
        StartAsync(ServiceProcesses.CreateWebFrontend(Redis, name, settings ?? new Dictionary<string, string?>(), Discard, sharedPort),
            cancellationToken);

    /// <summary>A service process that is created but not started, for tests about start-up itself.</summary>
    public ServiceProcess CreateEventService(IReadOnlyDictionary<string, string?> settings)
    {
        var service = ServiceProcesses.CreateEventService(Redis, "eventservice", settings, Discard);
        _services.Add(service);
        return service;
    }

    /// <summary>A test's own Redis client, for looking at what the services wrote.</summary>
    public async Task<IConnectionMultiplexer> ConnectRedisAsync()
    {
        _redisClient ??= await TestRedisClient.ConnectAsync(Redis);
        return _redisClient;
    }

    private async Task<ServiceProcess> StartAsync(ServiceProcess service, CancellationToken cancellationToken)
    {
        _services.Add(service);
        service.Start();
        await service.WaitHealthyAsync(StartTimeout, cancellationToken);
        return service;
    }

    private static void Discard(string resource, string line)
    {
        // Each process keeps its recent output (ManagedProcess.RecentOutput) for failure messages.
    }

    public async ValueTask DisposeAsync()
    {
        if (_redisClient is not null)
        {
            await _redisClient.DisposeAsync();
        }

        await Task.WhenAll(_services.Select(s => s.DisposeAsync().AsTask()));
        await Redis.DisposeAsync();
    }
}
