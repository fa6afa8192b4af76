using AspireSse.Bench.LoadGen;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Systems;

/// <summary>
/// The floor, not a peer: a process that relays each Redis tick with one bare non-blocking send per
/// connection and nothing else (see AspireSse.Bench.SendFloor). What it costs per event is what the
/// sends themselves cost on this machine, with these clients, in this run.
/// </summary>
public sealed class FloorSystem(OutputSink output) : SystemUnderTest("floor", output)
{
    private ServiceProcess? _server;

    public override LoadTarget Target => new(ClientProtocol.ServerSentEvents, new Uri(Server.Url, "/events"));

    private ServiceProcess Server => _server ?? throw new InvalidOperationException("The floor server has not started.");

    public override IReadOnlyList<int> ServerProcessIds() => Server.Pid is { } pid ? [pid] : [];

    protected override async Task StartServerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var (project, assembly) = BuildMetadata.BuiltProject("AspireSse.Bench.SendFloorProject", "AspireSse.Bench.SendFloor");
        _server = new ServiceProcess("send-floor", "send-floor", assembly, project, port, new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
        }, Output);
        _server.Start();
        await _server.WaitHealthyAsync(timeout, cancellationToken);
    }

    protected override async ValueTask StopServerAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
