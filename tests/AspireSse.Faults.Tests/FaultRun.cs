using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// The AppHost's system with fast ticks and short delays, so faults land mid-stream, plus 50
/// browser-like clients reading through the one WebFrontend URL (Aspire's proxy).
/// </summary>
internal sealed class FaultRun : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = RunningSystem.Timeout;

    private readonly List<SseTestClient> _clients = [];

    private FaultRun(RunningSystem system, FastPathMode fastPath) => (System, FastPath) = (system, fastPath);

    public RunningSystem System { get; }

    /// <summary>Whether the WebFrontends run with their fast path or as the plain pattern.</summary>
    public FastPathMode FastPath { get; }

    public IReadOnlyList<SseTestClient> Clients => _clients;

    /// <summary>Short delays, so reconnects and drains happen within the scenario's seconds.</summary>
    public static IReadOnlyDictionary<string, string?> WebFrontendSettings { get; } = new Dictionary<string, string?>
    {
        ["TickStream__ReconnectDelay"] = "00:00:00.200",
        ["TickStream__DrainDelay"] = "00:00:01.200",
        ["TickStream__HeartbeatInterval"] = "00:00:01",
    };

    public static async Task<FaultRun> StartAsync(FastPathMode fastPath, CancellationToken cancellationToken, int clients = 50,
        Action<SystemSettings>? configure = null)
    {
        var settings = new SystemSettings { TickInterval = TimeSpan.FromMilliseconds(20), FastPath = fastPath };
        settings.EventService["Ticks__LeaseTime"] = "00:00:01";
        foreach (var (key, value) in WebFrontendSettings)
        {
            settings.WebFrontend[key] = value;
        }

        configure?.Invoke(settings);

        var run = new FaultRun(await RunningSystem.StartAsync(settings, cancellationToken), fastPath);
        try
        {
            for (var i = 0; i < clients; i++)
            {
                run.AddClient();
            }

            await run.WaitUntilEveryClientHasAsync(10, cancellationToken);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    public SseTestClient AddClient(int? receiveBufferBytes = null, Uri? server = null)
    {
        var client = SseTestClient.StartLikeABrowser(new Uri(server ?? System.WebFrontendUrl, "/events"), receiveBufferBytes);
        _clients.Add(client);
        return client;
    }

    /// <summary>A client that goes away, as a closed tab does: it stops, and no longer counts.</summary>
    public async Task LeaveAsync(SseTestClient client)
    {
        _clients.Remove(client);
        await client.DisposeAsync();
    }

    public Task WaitUntilEveryClientHasAsync(int ticks, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(() => Task.FromResult(_clients.Count(c => c.Ticks.Count < ticks)), waiting => waiting == 0,
            Timeout, $"every client to receive {ticks} ticks (count = clients still waiting)", cancellationToken);

    /// <summary>
    /// Waits until every client has caught up with ticks published after the fault — proof that
    /// nobody is left stalled — then reports what they received.
    /// </summary>
    public async Task<DeliveryReport> WaitForRecoveryAsync(CancellationToken cancellationToken, int beyond = 25)
    {
        var redis = await System.RedisAsync(cancellationToken);
        var (epoch, counter) = await Eventually.WaitAsync(
            async () =>
            {
                var e = await redis.StringGetAsync(TickRedisKeys.Epoch);
                var c = await redis.StringGetAsync(TickRedisKeys.Counter);
                return (Epoch: (string?)e, Counter: c.IsNull ? 0 : (long)c);
            },
            p => p.Epoch is not null, Timeout, "the EventService to publish again", cancellationToken);
        var target = counter + beyond;

        bool Behind(SseTestClient c) => c.Ticks is not [.., var last] || last.Epoch != epoch || last.Sequence < target;
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(_clients.Count(Behind)), behind => behind == 0, Timeout,
                $"every client to reach tick {epoch}-{target} (count = clients behind)", cancellationToken);
        }
        catch (TimeoutException timeout)
        {
            var behind = _clients.Where(Behind).Take(5).Select(c => c.Describe());
            throw new TimeoutException($"{timeout.Message} Behind: {string.Join(" | ", behind)}", timeout);
        }

        return DeliveryReport.For(_clients);
    }

    /// <summary>How many of the replicas died or were restarted since their process id was read.</summary>
    public static int Crashed(RunningSystem system, params (Replica Replica, int Pid)[] instances) =>
        instances.Count(i => !system.IsRunning(i.Replica) || !Directory.Exists($"/proc/{i.Pid}") || system.ProcessIdOf(i.Replica) != i.Pid);

    /// <summary>The scenario's name in its <c>faults:</c> line: with <c>-plain</c> when the fast path is off.</summary>
    public string Scenario(string name) => FastPath == FastPathMode.On ? name : $"{name}-plain";

    /// <summary>What the clients met at Aspire's proxy: reconnects, and attempts that got no stream.</summary>
    public string ProxyLine() =>
        $"reconnects={_clients.Sum(c => c.Connections - 1)} failed-attempts={_clients.Sum(c => c.FailedAttempts)} " +
        $"first-replicas={string.Join('/', _clients.Select(c => c.Replicas is [var first, ..] ? first : "").GroupBy(r => r).Select(g => g.Count()).Order())}";

    public async ValueTask DisposeAsync()
    {
        // Whatever a client or connection does on the way out, the processes must not outlive the test.
        try
        {
            await Task.WhenAll(_clients.Select(c => c.DisposeAsync().AsTask()));
        }
        finally
        {
            await System.DisposeAsync();
        }
    }
}
