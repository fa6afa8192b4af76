using AspireSse.Bench.LoadGen;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Systems;

/// <summary>
/// The floor, not a peer: a process that relays each Redis tick with one bare non-blocking send per
/// connection and nothing else (see AspireSse.Bench.SendFloor). What it costs per event is what the
/// sends themselves cost on this machine, with these clients, in this run. Above one process's
/// share of clients, as many processes as ours has replicas, on one shared port as ours.
/// </summary>
public sealed class FloorSystem(OutputSink output) : SystemUnderTest("floor", output)
{
    private readonly List<ServiceProcess> _servers = [];
    private Uri? _url;

    public override LoadTarget Target => new(ClientProtocol.ServerSentEvents,
        new Uri(_url ?? throw new InvalidOperationException("The floor server has not started."), "/events"));

    public override string Configuration => _servers.Count == 1 ? "1 process" : $"{_servers.Count} processes on one port";

    public override IReadOnlyList<int> ServerProcessIds() => _servers.Select(s => s.Pid).OfType<int>().ToList();

    protected override async Task StartServerAsync(int clients, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var shared = FreePort.Next();
        _url = new Uri($"http://127.0.0.1:{shared}");
        var (project, assembly) = BuildMetadata.BuiltProject("AspireSse.Bench.SendFloorProject", "AspireSse.Bench.SendFloor");
        for (var i = 1; i <= ProcessesFor(clients); i++)
        {
            var own = FreePort.Next();
            var server = new ServiceProcess($"send-floor-{i}", "send-floor", assembly, project, own, new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{own};http://127.0.0.1:{shared}",
                ["ConnectionStrings__redis"] = Redis.ConnectionString,
            }, Output);
            _servers.Add(server);
            server.Start();
        }

        await Task.WhenAll(_servers.Select(s => s.WaitHealthyAsync(timeout, cancellationToken)));
    }

    protected override async ValueTask StopServerAsync()
    {
        await Task.WhenAll(_servers.Select(s => s.DisposeAsync().AsTask()));
    }
}
