using System.Globalization;

using AspireSse.TestSupport.Processes;

namespace AspireSse.Launcher.Topology;

/// <summary>
/// The whole system on one machine without Aspire or Docker: redis-server, the EventService,
/// N WebFrontend replicas and a gateway in front of them. Each service gets the environment Aspire
/// would give it, so a service cannot tell which host started it.
/// </summary>
public sealed class SseTopology : IAsyncDisposable
{
    private readonly TopologyOptions _options;
    private readonly List<ServiceProcess> _frontends = [];
    private readonly List<ServiceProcess> _eventServices = [];
    private Gateway? _gateway;
    private volatile bool _disposing;

    private SseTopology(TopologyOptions options, RedisServer redis)
    {
        _options = options;
        Redis = redis;
    }

    public RedisServer Redis { get; }

    /// <summary>The first (usually the only) EventService instance.</summary>
    public ServiceProcess EventService => _eventServices[0];

    /// <summary>Every EventService instance; one of them holds the single-writer lease.</summary>
    public IReadOnlyList<ServiceProcess> EventServices => _eventServices;

    public IReadOnlyList<ServiceProcess> Frontends => _frontends;

    /// <summary>The one URL users and browsers connect to.</summary>
    public Uri GatewayUrl => _gateway?.Url ?? throw new InvalidOperationException("The gateway has not started.");

    /// <summary>Every child process, for status tables and orphan checks.</summary>
    public IEnumerable<ManagedProcess> Processes => [Redis, .. _eventServices, .. _frontends];

    /// <summary>Raised when a child ends without having been asked to.</summary>
    public event Action<ManagedProcess, int>? ChildExited;

    public static async Task<SseTopology> StartAsync(TopologyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Replicas, 1);
        var topology = new SseTopology(options, RedisServer.Create(options.Output, options.RedisPersistence));
        try
        {
            await topology.StartCoreAsync(cancellationToken);
            return topology;
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        Watch(Redis);
        Redis.Start();
        await Redis.WaitReadyAsync(_options.StartTimeout, cancellationToken);

        for (var i = 1; i <= _options.EventServices; i++)
        {
            var name = _options.EventServices == 1 ? "eventservice" : $"eventservice-{i}";
            _eventServices.Add(CreateService(name, "eventservice", ServiceBinaries.EventService, ServiceBinaries.EventServiceProject, _options.EventServiceEnvironment));
        }

        for (var i = 1; i <= _options.Replicas; i++)
        {
            _frontends.Add(CreateService($"webfrontend-{i}", "webfrontend", ServiceBinaries.WebFrontend, ServiceBinaries.WebFrontendProject, _options.WebFrontendEnvironment));
        }

        foreach (var service in Processes.OfType<ServiceProcess>())
        {
            service.Start();
        }

        await Task.WhenAll(Processes.OfType<ServiceProcess>()
            .Select(s => s.WaitHealthyAsync(_options.StartTimeout, cancellationToken)));

        var port = _options.GatewayPort == 0 ? FreePort.Next() : _options.GatewayPort;
        _gateway = await Gateway.StartAsync(port, _frontends.Select(f => f.Url), _options.Output, cancellationToken);
    }

    private ServiceProcess CreateService(string name, string serviceName, string assembly, string projectDirectory, Dictionary<string, string?> extra)
    {
        var service = CreateService(Redis, name, serviceName, assembly, projectDirectory, extra, _options.Output);
        Watch(service);
        return service;
    }

    private static ServiceProcess CreateService(RedisServer redis, string name, string serviceName, string assembly,
        string projectDirectory, IReadOnlyDictionary<string, string?> settings, OutputSink output)
    {
        var environment = new Dictionary<string, string?>
        {
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
        };
        foreach (var key in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS" })
        {
            if (Environment.GetEnvironmentVariable(key) is { Length: > 0 } value)
            {
                environment[key] = value;
            }
        }

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return serviceName == "eventservice"
            ? ServiceProcesses.CreateEventService(redis, name, environment, output)
            : ServiceProcesses.CreateWebFrontend(redis, name, environment, output);
    }

    private void Watch(ManagedProcess process) =>
        process.ExitedUnexpectedly += (p, code) =>
        {
            // During shutdown children may get the terminal's signal before we stop them: not news.
            if (!_disposing)
            {
                ChildExited?.Invoke(p, code);
            }
        };

    /// <summary>A table of resources, as the Aspire dashboard's resource page would list them.</summary>
    public string DescribeResources()
    {
        List<string[]> rows = [["RESOURCE", "KIND", "PID", "URL"]];
        rows.Add(["redis", "redis-server", Pid(Redis), $"redis://127.0.0.1:{Redis.Port}"]);
        foreach (var service in Processes.OfType<ServiceProcess>())
        {
            rows.Add([service.Name, "project", Pid(service), service.Url.ToString()]);
        }

        if (_gateway is not null)
        {
            rows.Add(["gateway", "yarp", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), _gateway.Url.ToString()]);
        }

        var widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        return string.Join(Environment.NewLine, rows.Select(r =>
            string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd()));

        static string Pid(ManagedProcess p) => p.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-";
    }

    public async ValueTask DisposeAsync()
    {
        _disposing = true;
        // Front to back: stop taking clients, then the relays, then the publisher, then Redis.
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await Task.WhenAll(_frontends.Select(f => f.DisposeAsync().AsTask()));
        await Task.WhenAll(_eventServices.Select(e => e.DisposeAsync().AsTask()));

        await Redis.DisposeAsync();
    }
}
