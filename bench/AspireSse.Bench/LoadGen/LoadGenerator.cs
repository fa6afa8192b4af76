using System.Net;
using System.Net.Sockets;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// Opens many client connections to one target, keeps them reading, and sums what they counted.
/// Each connection is one async read loop; nothing runs per event beyond its parse. One process
/// runs one of these; <see cref="LoadFleet"/> spreads a large client count over several.
/// </summary>
/// <param name="source">
/// The local address connections are made from, or null for the kernel's choice. The kernel has
/// about 28 000 ephemeral ports per local address; 127.0.0.2, .3, … give each process its own. For a
/// loopback address, each SSE connection is made from the next of 254 variations of it (see
/// <see cref="SourceFor"/>).
/// </param>
public sealed class LoadGenerator(LoadTarget target, IPAddress? source = null) : IAsyncDisposable
{
    // From Linux's <linux/in.h>.
    private const int IpProtocolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private static readonly TimeSpan SignalRPingInterval = TimeSpan.FromSeconds(15);

    private readonly List<ClientConnection> _connections = [];
    private readonly List<Task> _readLoops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
        UseCookies = false,
        ConnectCallback = source is { } from ? (context, cancellationToken) => ConnectFromAsync(SourceFor(from), context, cancellationToken) : null,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private Task? _pinger;
    private Task<WorkerWindow>? _window;
    private (CancellationTokenSource Stop, Task<TimelinePoint[]> Sampling)? _timeline;

    public LoadTarget Target { get; } = target;

    /// <summary>Publish-to-receive latency of ticks received while it is enabled.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>The same, only of connections that never had to reconnect: in a storm, the clients that were not moved.</summary>
    public LatencyHistogram UnmovedLatency { get; } = new();

    public IReadOnlyList<ClientConnection> Connections => _connections;

    /// <summary>The connections' open, moved and received counts, kept as they change.</summary>
    public ConnectionTally Tally { get; } = new();

    public long Received => Tally.Now.Received;

    public long Bytes => _connections.Sum(c => c.Bytes);

    /// <summary>
    /// Opens <paramref name="count"/> more connections, at most <paramref name="parallelism"/>
    /// connecting at once so the server's accept backlog never overflows, and waits until every
    /// one is open.
    /// </summary>
    public async Task ConnectAsync(int count, int parallelism, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        deadline.CancelAfter(timeout);
        using var gate = new SemaphoreSlim(parallelism);
        var opened = new List<Task>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await gate.WaitAsync(deadline.Token);
                ClientConnection connection = Target.Protocol == ClientProtocol.SignalR
                    ? new SignalRClientConnection(Target, Tally, Latency, source)
                    : new SseClientConnection(Target, Tally, Latency, UnmovedLatency, _http);
                _connections.Add(connection);
                _readLoops.Add(Task.Run(() => connection.RunAsync(deadline.Token), CancellationToken.None));
                opened.Add(connection.Opened.ContinueWith(static (_, g) => ((SemaphoreSlim)g!).Release(), gate,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                await Task.Yield();
            }

            await Task.WhenAll(opened).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var open = _connections.Count(c => c.Opened.IsCompletedSuccessfully);
            throw new TimeoutException($"Only {open} of {_connections.Count} connections to {Target.Url} opened within {timeout.TotalSeconds:F0} s.");
        }

        var failed = _connections.FirstOrDefault(c => c.Opened.IsFaulted);
        if (failed is not null)
        {
            throw new IOException(
                $"{_connections.Count(c => c.Opened.IsFaulted)} of {_connections.Count} connections to {Target.Url} failed; the first: {failed.Error}");
        }

        if (Target.Protocol == ClientProtocol.SignalR)
        {
            _pinger ??= PingSignalRClientsAsync(_stop.Token);
        }
    }

    /// <summary>
    /// Waits until every connection has received tick <paramref name="finalSequence"/>. A server
    /// still working through a backlog is given time: the wait ends early only once nothing has
    /// arrived for <paramref name="quiet"/>, and at the latest after <paramref name="limit"/>.
    /// </summary>
    public async Task<bool> WaitForAsync(long finalSequence, TimeSpan quiet, TimeSpan limit, CancellationToken cancellationToken)
    {
        var total = System.Diagnostics.Stopwatch.StartNew();
        var sinceProgress = System.Diagnostics.Stopwatch.StartNew();
        var received = Received;
        while (_connections.Any(c => c.Error is null && c.LastSequence < finalSequence))
        {
            if (sinceProgress.Elapsed >= quiet || total.Elapsed >= limit)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken);
            if (Received is var now && now != received)
            {
                received = now;
                sinceProgress.Restart();
            }
        }

        return true;
    }

    /// <summary>
    /// Counts the connections' deliveries at <paramref name="from"/> and <paramref name="to"/>, and
    /// records latency between them, on a thread of its own: on a saturated box a command reaches
    /// this process seconds late, so the window cannot be opened and closed by commands.
    /// </summary>
    public void ScheduleWindow(DateTimeOffset from, DateTimeOffset to)
    {
        _window = Task.Factory.StartNew(() =>
        {
            var lateAtStart = SleepUntil(from);
            Latency.Enabled = UnmovedLatency.Enabled = true;
            var (receivedAtStart, bytesAtStart) = (Received, Bytes);
            var lateAtEnd = SleepUntil(to);
            var (receivedAtEnd, bytesAtEnd) = (Received, Bytes);
            Latency.Enabled = UnmovedLatency.Enabled = false;
            return new WorkerWindow(receivedAtStart, bytesAtStart, receivedAtEnd, bytesAtEnd,
                Math.Max(lateAtStart.TotalMilliseconds, lateAtEnd.TotalMilliseconds));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Blocks this thread until <paramref name="at"/> (or <paramref name="stop"/>); returns how late it woke.</summary>
    private static TimeSpan SleepUntil(DateTimeOffset at, CancellationToken stop = default)
    {
        if (at - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
        {
            stop.WaitHandle.WaitOne(wait);
        }

        return DateTimeOffset.UtcNow - at;
    }

    /// <summary>
    /// Samples the clients every <paramref name="every"/> from <paramref name="from"/> on, on a thread
    /// of its own (as <see cref="ScheduleWindow"/>, and for the same reason), until <see cref="StopTimelineAsync"/>.
    /// Sample k is taken at <paramref name="from"/> + k × <paramref name="every"/> in every process.
    /// </summary>
    public void StartTimeline(DateTimeOffset from, TimeSpan every)
    {
        var stop = new CancellationTokenSource();
        var sampling = Task.Factory.StartNew(() =>
        {
            var points = new List<TimelinePoint>();
            for (var k = 0; !stop.IsCancellationRequested; k++)
            {
                SleepUntil(from + (every * k), stop.Token);
                points.Add(Tally.Now);
            }

            return points.ToArray();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _timeline = (stop, sampling);
    }

    /// <summary>Stops the timeline and returns its samples.</summary>
    public async Task<TimelinePoint[]> StopTimelineAsync()
    {
        var (stop, sampling) = _timeline ?? throw new InvalidOperationException("No timeline was started.");
        await stop.CancelAsync();
        using (stop)
        {
            return await sampling;
        }
    }

    /// <summary>The counts of the window last scheduled, once it has closed.</summary>
    public Task<WorkerWindow> WindowAsync() => _window ?? throw new InvalidOperationException("No window was scheduled.");

    /// <summary>The connections' counts now; <paramref name="finalSequence"/> is the tick <see cref="WorkerStatus.Behind"/> is about.</summary>
    public WorkerStatus Status(long finalSequence)
    {
        var (open, moved, received) = Tally.Now;
        long bytes = 0;
        int behind = 0, reconnects = 0, retries = 0;
        var latest = TimeSpan.Zero;
        foreach (var c in _connections)
        {
            bytes += c.Bytes;
            behind += c.Error is null && c.LastSequence < finalSequence ? 1 : 0;
            reconnects += c.Reconnects;
            latest = c.LatestReturn > latest ? c.LatestReturn : latest;
            retries += c.ConnectRetries;
        }

        var ends = _connections.Where(c => c.Reconnects > 0 && c.LastEnd is not null).GroupBy(c => c.LastEnd)
            .OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Key} ×{g.Count()}");
        return new WorkerStatus(received, bytes, _connections.Count, open, behind, moved, reconnects, latest.TotalMilliseconds, retries,
            string.Join("; ", ends) is { Length: > 0 } common ? common : null);
    }

    /// <summary>Every connection's count against ticks 1 to <paramref name="finalSequence"/>.</summary>
    public DeliveryReport Report(long finalSequence)
    {
        long received = 0, lost = 0, duplicates = 0, malformed = 0;
        foreach (var c in _connections)
        {
            var delivery = c.Delivery;
            received += delivery.Received;
            duplicates += delivery.Duplicated + delivery.Reordered;
            malformed += c.Malformed;
            lost += delivery.LostUpTo(finalSequence);
        }

        var dropped = _connections.Where(c => c.Error is not null).ToList();
        return new DeliveryReport(_connections.Count, finalSequence, finalSequence * _connections.Count, received, lost,
            duplicates, malformed, dropped.Count, dropped.FirstOrDefault()?.Error);
    }

    private static int s_connects;

    /// <summary>
    /// Each connection from the next address of <paramref name="source"/>'s family: 127.1.0.2,
    /// 127.2.0.2, … for 127.0.0.2. From one address, the kernel's port choice at connect hands a
    /// client that reconnects the port it has just freed, so its address pair — which is what
    /// <c>SO_REUSEPORT</c> hashes to pick a replica — is the one it had before. In the storm the
    /// killed replica's clients then all hashed onto one or two survivors, which filled up and turned
    /// them away again and again. Browsers reconnect from a fresh port; so does this.
    /// </summary>
    private static IPAddress SourceFor(IPAddress source)
    {
        var bytes = source.GetAddressBytes();
        if (!IPAddress.IsLoopback(source) || bytes.Length != 4)
        {
            return source;
        }

        bytes[1] = (byte)(1 + ((uint)Interlocked.Increment(ref s_connects) % 254));
        return new IPAddress(bytes);
    }

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress source, SocketsHttpConnectionContext context,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            BindFrom(socket, source);
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds a client socket to <paramref name="source"/>, its port left to the connect
    /// (<c>IP_BIND_ADDRESS_NO_PORT</c>): a plain bind to port 0 makes the kernel search the ephemeral
    /// range for a port free on every destination, which with thousands in use took the load
    /// generator's CPU, nearly all of it system time, at a few hundred connections a second.
    /// </summary>
    internal static void BindFrom(Socket socket, IPAddress source)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
        }

        socket.Bind(new IPEndPoint(source, 0));
    }

    private async Task PingSignalRClientsAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(SignalRPingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                foreach (var connection in _connections.OfType<SignalRClientConnection>())
                {
                    try
                    {
                        await connection.PingAsync();
                    }
                    catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
                    {
                        // The read loop sees the same failure and records it.
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        await Task.WhenAll(_readLoops.Append(_pinger ?? Task.CompletedTask));
        _http.Dispose();
        _stop.Dispose();
    }
}
