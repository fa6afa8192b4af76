using AspireSse.Launcher.Topology;
using AspireSse.TestSupport.Processes;
using AspireSse.Telemetry.Tests.Otlp;
using AspireSse.TestSupport;
using StackExchange.Redis;

namespace AspireSse.Telemetry.Tests;

/// <summary>
/// The real EventService and two WebFrontend replicas exporting OTLP/HTTP to an
/// <see cref="OtlpReceiver"/>, the way Aspire points them at its dashboard.
/// </summary>
internal sealed class TelemetryRun : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    private readonly List<IAsyncDisposable> _clients = [];
    private ConnectionMultiplexer? _redis;

    private TelemetryRun(OtlpReceiver receiver, SseTopology topology)
    {
        Receiver = receiver;
        Topology = topology;
    }

    public OtlpReceiver Receiver { get; }

    public SseTopology Topology { get; }

    public static async Task<TelemetryRun> StartAsync(CancellationToken cancellationToken, Action<TopologyOptions>? configure = null)
    {
        var receiver = await OtlpReceiver.StartAsync(cancellationToken);
        try
        {
            var options = new TopologyOptions { Replicas = 2 };
            foreach (var environment in new[] { options.EventServiceEnvironment, options.WebFrontendEnvironment })
            {
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString();
                environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            }

            options.EventServiceEnvironment["Ticks__Interval"] = "00:00:00.100";
            options.EventServiceEnvironment["Ticks__LeaseTime"] = "00:00:01";
            configure?.Invoke(options);
            return new TelemetryRun(receiver, await SseTopology.StartAsync(options, cancellationToken));
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>An SSE client straight to one replica, so the test knows who serves it.</summary>
    public async Task<SseTestClient> ConnectAsync(ServiceProcess replica, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var client = await SseTestClient.ConnectAsync(_http, new Uri(replica.Url, "/events"), cancellationToken, lastEventId);
        _clients.Add(client);
        return client;
    }

    public BrowserLikeSseClient AddBrowserLikeClient(ServiceProcess replica, int receiveBufferBytes)
    {
        var client = new BrowserLikeSseClient(new Uri(replica.Url, "/events"), receiveBufferBytes);
        _clients.Add(client);
        client.Start();
        return client;
    }

    public async Task<IDatabase> RedisAsync()
    {
        _redis ??= await TestRedisClient.ConnectAsync(Topology.Redis);
        return _redis.GetDatabase();
    }

    /// <summary>The sender <c>service.name</c>/<c>service.instance.id</c> a process of the topology exports as.</summary>
    public static Sender SenderOf(ServiceProcess process) => new(process.ServiceName, process.Name);

    /// <summary>Waits until what the receiver holds satisfies <paramref name="done"/>.</summary>
    public Task<T> WaitForAsync<T>(Func<OtlpReceiver, T> probe, Func<T, bool> done, string what, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(() => Task.FromResult(probe(Receiver)), done, Timeout, what, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Whatever a client or connection does on the way out, the processes must not outlive the test.
        try
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }

            _http.Dispose();
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
        finally
        {
            await Topology.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }
}
