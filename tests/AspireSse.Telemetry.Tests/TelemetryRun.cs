using AspireSse.SystemTesting;
using AspireSse.Telemetry.Tests.Dashboard;
using AspireSse.TestSupport;

namespace AspireSse.Telemetry.Tests;

/// <summary>
/// The AppHost's whole system with the Aspire dashboard running, as <c>dotnet run --project AppHost</c>
/// runs it: the services export to the real dashboard, and the tests read it back through its API.
/// </summary>
internal sealed class TelemetryRun : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = RunningSystem.Timeout;

    private readonly HttpClient _http = new() { Timeout = global::System.Threading.Timeout.InfiniteTimeSpan };
    private readonly List<IAsyncDisposable> _clients = [];

    private TelemetryRun(RunningSystem system, DashboardTelemetry dashboard)
    {
        System = system;
        Dashboard = dashboard;
    }

    public RunningSystem System { get; }

    public DashboardTelemetry Dashboard { get; }

    public static async Task<TelemetryRun> StartAsync(CancellationToken cancellationToken, Action<SystemSettings>? configure = null,
        FastPathMode fastPath = FastPathMode.On)
    {
        // Ten ticks a second: several consecutive ticks within a second, without flooding the dashboard.
        var settings = new SystemSettings { Dashboard = true, TickInterval = TimeSpan.FromMilliseconds(100), FastPath = fastPath };
        settings.EventService["Ticks__LeaseTime"] = "00:00:01";
        configure?.Invoke(settings);
        var system = await RunningSystem.StartAsync(settings, cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            return new TelemetryRun(system, await DashboardTelemetry.ConnectAsync(system.App, timeout.Token));
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    /// <summary>An SSE client straight to one replica (its own URL, not the proxy), so the test knows who serves it.</summary>
    public async Task<SseTestClient> ConnectAsync(Replica replica, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var client = await SseTestClient.ConnectAsync(_http, new Uri(replica.Url, "/events"), cancellationToken, lastEventId);
        _clients.Add(client);
        return client;
    }

    /// <summary>The <c>service.name</c>/<c>service.instance.id</c> an instance exports as.</summary>
    public static Sender SenderOf(Replica replica) => new(replica.ResourceName, replica.InstanceId);

    /// <summary>Polls the dashboard until what it holds satisfies <paramref name="done"/>.</summary>
    public Task<T> WaitForAsync<T>(Func<DashboardTelemetry, Task<T>> probe, Func<T, bool> done, string what, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(() => probe(Dashboard), done, Timeout, what, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Whatever a client does on the way out, the processes must not outlive the test.
        try
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }

            _http.Dispose();
            Dashboard.Dispose();
        }
        finally
        {
            await System.DisposeAsync();
        }
    }
}
