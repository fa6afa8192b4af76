using System.Globalization;
using AspireSse.Bench.LoadGen;
using AspireSse.Contracts;
using AspireSse.TestSupport.Processes;
using StackExchange.Redis;

namespace AspireSse.Bench.Systems;

/// <summary>
/// One of the compared systems, on its own private redis-server, fed by the same tick source: the
/// EventService, publishing ticks into Redis at the benchmark's rate. Only the fan-out server's
/// processes are measured; Redis, the EventService and any feeder are not.
/// </summary>
public abstract class SystemUnderTest(string name, OutputSink output) : IAsyncDisposable
{
    private ServiceProcess? _ticker;
    private RedisServer? _redis;

    /// <summary>Short name used in tables and file names: <c>aspiresse</c>, <c>nchan</c>, <c>signalr</c>.</summary>
    public string Name { get; } = name;

    protected OutputSink Output { get; } = output;

    protected RedisServer Redis => _redis ?? throw new InvalidOperationException("The system has not started.");

    /// <summary>Commands the system's Redis has processed so far, and the CPU time it has used.</summary>
    public async Task<(long Commands, TimeSpan Cpu)> RedisCountersAsync()
    {
        var options = ConfigurationOptions.Parse(Redis.ConnectionString);
        options.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var info = await redis.GetServers()[0].InfoAsync("stats");
        var commands = info.SelectMany(g => g).First(p => p.Key == "total_commands_processed").Value;
        var cpu = Redis.Pid is { } pid ? Measurement.ProcessSample.Read([pid]).Cpu : TimeSpan.Zero;
        return (long.Parse(commands, CultureInfo.InvariantCulture), cpu);
    }

    /// <summary>Where clients connect.</summary>
    public abstract LoadTarget Target { get; }

    /// <summary>How it runs, for the table: replicas, workers, store.</summary>
    public abstract string Configuration { get; }

    /// <summary>Most clients one server process holds here: each is an open file, and every process is held to 20 000.</summary>
    public const int ClientsPerProcess = 17_000;

    /// <summary>Server processes needed for <paramref name="clients"/> (ours: replicas; nchan: workers).</summary>
    public static int ProcessesFor(int clients) => Math.Max(1, (clients + ClientsPerProcess - 1) / ClientsPerProcess);

    /// <summary>The fan-out server's processes, whose CPU and memory the benchmark reports.</summary>
    public abstract IReadOnlyList<int> ServerProcessIds();

    /// <summary>Starts Redis and the fan-out server (and its feeder), sized for <paramref name="clients"/>; no ticks flow yet.</summary>
    public async Task StartAsync(int clients, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // No persistence: the benchmark never restarts Redis, and AOF writes would only add noise.
        _redis = RedisServer.Create(Output, persistence: false);
        _redis.Start();
        await _redis.WaitReadyAsync(timeout, cancellationToken);
        await StartServerAsync(clients, timeout, cancellationToken);

        // The load generators stand in for browsers on other machines: where the cores are not
        // enough for both, the server under test must be what falls behind, not the clients' reads.
        // At the same priority, 100 000 clients fell behind with ticks unread in their sockets while
        // the servers had sent everything (README, Benchmark).
        foreach (var pid in ServerProcessIds())
        {
            SchedulingPriority.SetNice(pid, ServerNice);
        }
    }

    /// <summary>The nice value every server under test runs at; everything else on the box runs at 0.</summary>
    public const int ServerNice = 10;

    protected abstract Task StartServerAsync(int clients, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Starts the EventService ticking every <paramref name="interval"/>; returns once it has published.</summary>
    public async Task StartTicksAsync(TimeSpan interval, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _ticker = ServiceProcesses.CreateEventService(Redis, "eventservice", new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Ticks__Interval"] = interval.ToString("c", CultureInfo.InvariantCulture),
            // The lease must outlast two intervals: the default (5 s) does down to a tick every 2 s.
            ["Ticks__LeaseTime"] = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, interval.Ticks * 3))
                .ToString("c", CultureInfo.InvariantCulture),
        }, Output);
        _ticker.Start();
        await _ticker.WaitHealthyAsync(timeout, cancellationToken);
    }

    /// <summary>Stops the ticks and returns the last sequence published: every client should reach it.</summary>
    public async Task<long> StopTicksAsync()
    {
        if (_ticker is not null)
        {
            await _ticker.StopAsync(TimeSpan.FromSeconds(10));
        }

        var options = ConfigurationOptions.Parse(Redis.ConnectionString);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var counter = await redis.GetDatabase().StringGetAsync(TickRedisKeys.Counter);
        return counter.IsNull ? 0 : (long)counter;
    }

    protected abstract ValueTask StopServerAsync();

    /// <summary>
    /// The server's count of writes to clients and of the events they carried, where the server
    /// reports it (ours does, on <c>/events/stats</c>); null for the peers.
    /// </summary>
    public virtual Task<(long Writes, long Events)?> ReadWritesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<(long, long)?>(null);

    /// <summary>
    /// Where each of the server's processes stands, for a run whose clients did not all catch up
    /// (ours: each replica's clients, last tick relayed and events written); null for the peers.
    /// </summary>
    public virtual Task<string?> DescribeProgressAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public async ValueTask DisposeAsync()
    {
        if (_ticker is not null)
        {
            await _ticker.DisposeAsync();
        }

        await StopServerAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
