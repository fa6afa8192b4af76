using AspireSse.Bench.LoadGen;
using AspireSse.Bench.Measurement;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.Systems;

/// <summary>
/// nginx with Debian's nchan module: EventSource subscribers, fed by <see cref="NchanFeeder"/>.
/// Every nginx process (master and workers) is measured.
/// </summary>
/// <remarks>
/// Three configurations, each its own row. <c>nchan</c>: the in-memory store and as few workers as
/// the open-file limit allows, nchan's best here (it costs the least CPU per event, compare the other
/// two). <c>nchan-redis</c>: the same workers with messages through Redis, like for like with ours.
/// <c>nchan-more-workers</c>: the in-memory store with one worker more, the check that fewer is better.
/// </remarks>
public sealed class NchanSystem(string name, OutputSink output) : SystemUnderTest(name, output)
{
    public const string Best = "nchan";
    public const string RedisStore = "nchan-redis";
    public const string MoreWorkers = "nchan-more-workers";

    public static readonly IReadOnlyList<string> Variants = [Best, RedisStore, MoreWorkers];

    private int _workers;
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private ManagedProcess? _nginx;
    private NchanFeeder? _feeder;
    private string? _prefix;
    private Uri? _url;

    public override LoadTarget Target => new(ClientProtocol.ServerSentEvents,
        new Uri(_url ?? throw new InvalidOperationException("nginx has not started."), "/events"));

    public override string Configuration =>
        $"{_workers} worker{(_workers == 1 ? "" : "s")}, {(Name == RedisStore ? "Redis" : "memory")} store";

    public override IReadOnlyList<int> ServerProcessIds() => _nginx?.Pid is { } pid ? ProcessSample.WithChildren(pid) : [];

    /// <summary>Why nchan cannot run here, or null when nginx and the module are installed.</summary>
    public static string? Unavailable() =>
        !File.Exists(NchanConfig.NginxPath) || !File.Exists(NchanConfig.ModulePath)
            ? $"nginx or the nchan module is not installed ({NchanConfig.NginxPath}, {NchanConfig.ModulePath}); " +
              "install them with: sudo apt-get install -y nginx libnginx-mod-nchan (./bench.sh does when run as root)"
            : null;

    protected override async Task StartServerAsync(int clients, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Unavailable() is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        _workers = ProcessesFor(clients) + (Name == MoreWorkers ? 1 : 0);
        _prefix = Directory.CreateTempSubdirectory("aspiresse-bench-nginx-").FullName;
        var port = FreePort.Next();
        var config = Path.Combine(_prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, NchanConfig.Render(_prefix, port, Redis.Port, Redis.Password, _workers, Name == RedisStore, Math.Min(MachineInfo.OpenFileLimit(), 65536)), cancellationToken);
        _url = new Uri($"http://127.0.0.1:{port}");

        // -e: the error log before the configuration is read, so nothing touches /var/log/nginx.
        _nginx = new ManagedProcess("nginx", NchanConfig.NginxPath,
            ["-p", _prefix, "-c", config, "-e", Path.Combine(_prefix, "error.log")], new Dictionary<string, string?>(), Output);
        _nginx.Start();
        await WaitHealthyAsync(new Uri(_url, "/health"), timeout, cancellationToken);

        _feeder = new NchanFeeder(Redis.ConnectionString, new Uri(_url, "/publish"));
        await _feeder.StartAsync();
    }

    private async Task WaitHealthyAsync(Uri health, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (_nginx is not { IsRunning: true })
                {
                    var log = Path.Combine(_prefix!, "error.log");
                    throw new InvalidOperationException(
                        $"nginx exited while starting: {_nginx?.RecentOutput}{(File.Exists(log) ? await File.ReadAllTextAsync(log, cancellationToken) : "")}");
                }

                try
                {
                    using var response = await Probe.GetAsync(health, deadline.Token);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"nginx did not answer {health} within {timeout.TotalSeconds:F0} s.");
        }
    }

    protected override async ValueTask StopServerAsync()
    {
        if (_feeder is not null)
        {
            await _feeder.DisposeAsync();
        }

        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        if (_prefix is not null)
        {
            try
            {
                Directory.Delete(_prefix, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is not worth failing a run over.
            }
        }
    }
}
