using System.Text.Json;
using AspireSse.Bench.LoadGen;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Systems;

/// <summary>
/// Ours: as many WebFrontend replicas as the client count needs (<see cref="SystemUnderTest.ProcessesFor"/>),
/// each started on its own from its build output, all listening on one shared port
/// (<c>PortSharing:Port</c>) so clients connect to one URL and the kernel spreads them, with no
/// proxy in between (Aspire's would be measured too).
/// </summary>
/// <param name="environment">Extra settings for the WebFrontend, to compare configurations.</param>
/// <param name="replicas">Replicas to run whatever the client count (the reconnect storm), or null for as many as it needs.</param>
/// <param name="reconnect">Clients reopen a stream that ends, with <c>Last-Event-ID</c> (the reconnect storm).</param>
public sealed class RelaySystem(OutputSink output, IReadOnlyDictionary<string, string?>? environment = null,
    int? replicas = null, bool reconnect = false)
    : SystemUnderTest("aspiresse", output)
{
    private readonly List<ServiceProcess> _replicas = [];
    private Uri? _url;

    public override LoadTarget Target => new(ClientProtocol.ServerSentEvents,
        new Uri(_url ?? throw new InvalidOperationException("The WebFrontend has not started."), "/events"), Reconnect: reconnect);

    public override string Configuration => _replicas.Count == 1 ? "1 replica" : $"{_replicas.Count} replicas on one port";

    /// <summary>The replicas, each with its own URL for health and stats.</summary>
    public IReadOnlyList<ServiceProcess> Replicas => _replicas;

    public override IReadOnlyList<int> ServerProcessIds() => _replicas.Select(r => r.Pid).OfType<int>().ToList();

    protected override async Task StartServerAsync(int clients, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>
        {
            // As deployed, not as the AppHost runs it for development.
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var shared = FreePort.Next();
        _url = new Uri($"http://127.0.0.1:{shared}");
        for (var i = 1; i <= (replicas ?? ProcessesFor(clients)); i++)
        {
            var replica = ServiceProcesses.CreateWebFrontend(Redis, $"webfrontend-{i}", settings, Output, shared);
            _replicas.Add(replica);
            replica.Start();
        }

        await Task.WhenAll(_replicas.Select(r => r.WaitHealthyAsync(timeout, cancellationToken)));
    }

    public override async Task<(long Writes, long Events)?> ReadWritesAsync(CancellationToken cancellationToken)
    {
        long writes = 0, events = 0;
        foreach (var stats in await Task.WhenAll(_replicas.Select(r => StatsAsync(r, cancellationToken))))
        {
            writes += stats.GetProperty("writes").GetInt64();
            events += stats.GetProperty("eventsWritten").GetInt64();
        }

        return (writes, events);
    }

    public override async Task<string?> DescribeProgressAsync(CancellationToken cancellationToken)
    {
        var all = await Task.WhenAll(_replicas.Select(async r =>
        {
            try
            {
                var stats = await StatsAsync(r, cancellationToken);
                return $"{r.Name}: clients={stats.GetProperty("clients").GetInt32()} last={stats.GetProperty("lastSequence").GetInt64()} " +
                    $"events-written={stats.GetProperty("eventsWritten").GetInt64()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return $"{r.Name}: no stats ({ex.Message})";
            }
        }));
        return string.Join("; ", all);
    }

    /// <summary>One replica's <c>/events/stats</c>.</summary>
    public static async Task<JsonElement> StatsAsync(ServiceProcess replica, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(replica.Url, "/events/stats"), cancellationToken));
        return stats.RootElement.Clone();
    }

    protected override async ValueTask StopServerAsync()
    {
        await Task.WhenAll(_replicas.Select(r => r.DisposeAsync().AsTask()));
    }
}
