using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

using AspireSse.TestSupport.Processes;

namespace AspireSse.Launcher.Topology;

/// <summary>
/// One URL in front of every WebFrontend replica, as Aspire's proxy gives a replicated project:
/// a YARP reverse proxy, round-robin across replicas, with active health checks so a dead or
/// unready replica gets no new clients.
/// </summary>
public sealed class Gateway(WebApplication app, Uri url) : IAsyncDisposable
{
    public Uri Url { get; } = url;

    public static async Task<Gateway> StartAsync(int port, IEnumerable<Uri> replicas, OutputSink output, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new SinkLoggerProvider("gateway", output));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Say when a replica is taken out of or put back into rotation, not every probe.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Health.DestinationHealthUpdater", LogLevel.Information);
        // YARP wires up data protection for affinity cookies, which this gateway does not use.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        builder.Services.AddReverseProxy().LoadFromMemory(
            [
                new RouteConfig
                {
                    RouteId = "webfrontend",
                    ClusterId = "webfrontend",
                    Match = new RouteMatch { Path = "{**catch-all}" },
                },
            ],
            [
                new ClusterConfig
                {
                    ClusterId = "webfrontend",
                    LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
                    // One failed probe is enough: a draining replica reports unready on purpose, and
                    // should stop getting clients before it asks its own to leave.
                    Metadata = new Dictionary<string, string> { ["ConsecutiveFailuresHealthPolicy.Threshold"] = "1" },
                    Destinations = replicas
                        .Select((replica, i) => (replica, i))
                        .ToDictionary(r => $"webfrontend-{r.i + 1}", r => new DestinationConfig { Address = r.replica.ToString() }),
                    HealthCheck = new HealthCheckConfig
                    {
                        // Active probes find a replica that is up but not ready, or that came back.
                        Active = new ActiveHealthCheckConfig
                        {
                            Enabled = true,
                            Interval = TimeSpan.FromSeconds(1),
                            Timeout = TimeSpan.FromSeconds(1),
                            Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                            Path = "/health",
                        },
                        // Passive checks react to the first refused connection, long before the
                        // next probe: a killed replica stops getting clients at once.
                        Passive = new PassiveHealthCheckConfig
                        {
                            Enabled = true,
                            Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                            ReactivationPeriod = TimeSpan.FromSeconds(5),
                        },
                    },
                    HttpRequest = new ForwarderRequestConfig
                    {
                        // SSE streams are long-lived and quiet between heartbeats.
                        ActivityTimeout = TimeSpan.FromMinutes(2),
                    },
                },
            ]);

        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync(cancellationToken);
        return new Gateway(app, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
    }

    private sealed class SinkLoggerProvider(string name, OutputSink output) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new SinkLogger(name, categoryName, output);

        public void Dispose()
        {
        }
    }

    private sealed class SinkLogger(string name, string category, OutputSink output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            output(name, $"{logLevel}: {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
    }
}
