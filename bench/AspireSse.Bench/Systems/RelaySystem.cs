using System.Text.Json;
using AspireSse.Bench.LoadGen;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Systems;

/// <summary>
/// Ours: one WebFrontend replica, started on its own from its build output, clients connected to it
/// directly (not through Aspire's proxy, whose proxying would be measured too).
/// </summary>
/// <param name="environment">Extra settings for the WebFrontend, to compare configurations.</param>
public sealed class RelaySystem(OutputSink output, IReadOnlyDictionary<string, string?>? environment = null)
    : SystemUnderTest("aspiresse", output)
{
    private ServiceProcess? _frontend;

    public override LoadTarget Target => new(ClientProtocol.ServerSentEvents, new Uri(Frontend.Url, "/events"));

    private ServiceProcess Frontend => _frontend ?? throw new InvalidOperationException("The WebFrontend has not started.");

    public override IReadOnlyList<int> ServerProcessIds() => Frontend.Pid is { } pid ? [pid] : [];

    protected override async Task StartServerAsync(TimeSpan timeout, CancellationToken cancellationToken)
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

        _frontend = ServiceProcesses.CreateWebFrontend(Redis, "webfrontend-1", settings, Output);
        _frontend.Start();
        await _frontend.WaitHealthyAsync(timeout, cancellationToken);
    }

    public override async Task<(long Writes, long Events)?> ReadWritesAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(Frontend.Url, "/events/stats"), cancellationToken));
        return (stats.RootElement.GetProperty("writes").GetInt64(), stats.RootElement.GetProperty("eventsWritten").GetInt64());
    }

    protected override async ValueTask StopServerAsync()
    {
        if (_frontend is not null)
        {
            await _frontend.DisposeAsync();
        }
    }
}
