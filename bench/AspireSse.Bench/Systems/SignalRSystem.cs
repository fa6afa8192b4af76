using AspireSse.Bench.LoadGen;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Systems;

/// <summary>
/// ASP.NET Core SignalR with the Redis backplane: a hub process that only fans out, and a feeder
/// process that broadcasts each Redis tick through the backplane (see AspireSse.Bench.SignalRHub).
/// </summary>
public sealed class SignalRSystem(OutputSink output) : SystemUnderTest("signalr", output)
{
    private ServiceProcess? _hub;
    private ServiceProcess? _feeder;

    public override LoadTarget Target => new(ClientProtocol.SignalR, new Uri(Hub.Url, "/hub"));

    private ServiceProcess Hub => _hub ?? throw new InvalidOperationException("The hub has not started.");

    public override string Configuration => "1 hub";

    public override IReadOnlyList<int> ServerProcessIds() => Hub.Pid is { } pid ? [pid] : [];

    /// <summary>Why SignalR is not run at <paramref name="clients"/>, or null when it is.</summary>
    public static string? CannotHold(int clients) => clients > ClientsPerProcess
        ? $"not run above {ClientsPerProcess:N0} clients: one hub process is held to 20 000 open files here, and this benchmark does not scale hubs out"
        : null;

    protected override async Task StartServerAsync(int clients, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _hub = Create("signalr-hub", "hub");
        _hub.Start();
        await _hub.WaitHealthyAsync(timeout, cancellationToken);

        _feeder = Create("signalr-feeder", "feeder");
        _feeder.Start();
        await _feeder.WaitHealthyAsync(timeout, cancellationToken);
    }

    private ServiceProcess Create(string name, string role)
    {
        var port = FreePort.Next();
        var (project, assembly) = BuildMetadata.BuiltProject("AspireSse.Bench.SignalRHubProject", "AspireSse.Bench.SignalRHub");
        return new ServiceProcess(name, name, assembly, project, port, new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["Bench__Role"] = role,
        }, Output);
    }

    protected override async ValueTask StopServerAsync()
    {
        if (_feeder is not null)
        {
            await _feeder.DisposeAsync();
        }

        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }
    }
}
