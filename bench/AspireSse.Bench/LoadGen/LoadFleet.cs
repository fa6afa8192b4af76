using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// The benchmark's clients, spread over several load-generator processes (<see cref="LoadGenWorker"/>),
/// each connecting from its own loopback address, and summed as if they were one.
/// </summary>
/// <remarks>
/// One process cannot hold them all: each client is a socket, every process here is held to 20 000
/// open files by a hard limit that root cannot raise, and one local address has about 28 000
/// ephemeral ports. So each process holds at most <see cref="ClientsPerProcess"/> and connects from
/// 127.0.0.2, 127.0.0.3, …
/// </remarks>
public sealed class LoadFleet : IAsyncDisposable
{
    /// <summary>Clients per process: below the 20 000 open-file limit, with room for the runtime's own files.</summary>
    public const int ClientsPerProcess = 18_000;

    private readonly List<Worker> _workers;

    private LoadFleet(List<Worker> workers) => _workers = workers;

    public int Processes => _workers.Count;

    /// <summary>The histograms of the last <see cref="ReportAsync"/>, merged over every process.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Latency of the clients that never had to reconnect, merged likewise.</summary>
    public LatencyHistogram UnmovedLatency { get; } = new();

    /// <summary>Starts enough processes for <paramref name="clients"/>; none connects yet.</summary>
    public static LoadFleet Start(LoadTarget target, int clients, OutputSink output)
    {
        var count = Math.Max(1, (clients + ClientsPerProcess - 1) / ClientsPerProcess);
        var workers = new List<Worker>(count);
        for (var i = 0; i < count; i++)
        {
            workers.Add(new Worker($"loadgen-{i + 1}", target, IPAddress.Parse($"127.0.0.{i + 2}"), output));
        }

        return new LoadFleet(workers);
    }

    /// <summary>
    /// Opens <paramref name="count"/> more connections, split evenly over the processes (each with at most
    /// <paramref name="parallelism"/> connecting at once), and waits until every one is open.
    /// </summary>
    public async Task ConnectAsync(int count, int parallelism, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var shares = new int[_workers.Count];
        for (var i = 0; i < count; i++)
        {
            shares[i % shares.Length]++;
        }

        if (_workers.Select((w, i) => w.Connections + shares[i]).Any(n => n > ClientsPerProcess))
        {
            throw new InvalidOperationException($"{count} more clients do not fit in {_workers.Count} process(es) of {ClientsPerProcess}.");
        }

        var seconds = (int)Math.Ceiling(timeout.TotalSeconds);
        await Task.WhenAll(_workers.Select((worker, i) => ConnectOneAsync(worker, shares[i])));

        async Task ConnectOneAsync(Worker worker, int share)
        {
            if (share > 0)
            {
                await worker.SendAsync(Invariant($"connect {share} {parallelism} {seconds}"), cancellationToken);
                worker.Connections += share;
            }
        }
    }

    public Task SetLatencyAsync(bool enabled, CancellationToken cancellationToken) =>
        Task.WhenAll(_workers.Select(w => w.SendAsync(enabled ? "latency on" : "latency off", cancellationToken)));

    /// <summary>Has every process count its clients' deliveries, and record latency, from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public Task ScheduleWindowAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        Task.WhenAll(_workers.Select(w => w.SendAsync(Invariant($"window {from.ToUnixTimeMilliseconds()} {to.ToUnixTimeMilliseconds()}"), cancellationToken)));

    /// <summary>The scheduled window's counts, summed over every process, once it has closed; the latest process's lateness.</summary>
    public async Task<WorkerWindow> WindowCountsAsync(CancellationToken cancellationToken)
    {
        var all = (await Task.WhenAll(_workers.Select(w => w.SendAsync("window-counts", cancellationToken)))).Select(r => r.Window!).ToList();
        return new WorkerWindow(all.Sum(w => w.ReceivedAtStart), all.Sum(w => w.BytesAtStart), all.Sum(w => w.ReceivedAtEnd),
            all.Sum(w => w.BytesAtEnd), all.Max(w => w.LateMs));
    }

    /// <summary>Has every process sample its clients every <paramref name="every"/> from <paramref name="from"/> on, by the clock.</summary>
    public Task StartTimelineAsync(DateTimeOffset from, TimeSpan every, CancellationToken cancellationToken) =>
        Task.WhenAll(_workers.Select(w => w.SendAsync(Invariant($"timeline {from.ToUnixTimeMilliseconds()} {(long)every.TotalMilliseconds}"), cancellationToken)));

    /// <summary>Stops the timeline; sample k summed over every process (as far as every process got).</summary>
    public async Task<TimelinePoint[]> StopTimelineAsync(CancellationToken cancellationToken)
    {
        var all = (await Task.WhenAll(_workers.Select(w => w.SendAsync("timeline-stop", cancellationToken)))).Select(r => r.Timeline!).ToList();
        return [.. Enumerable.Range(0, all.Min(t => t.Length)).Select(k => new TimelinePoint(
            all.Sum(t => t[k].Open), all.Sum(t => t[k].Moved), all.Sum(t => t[k].Received)))];
    }

    /// <summary>Every process's running tally now, summed: cheap enough to poll under the storm.</summary>
    public async Task<TimelinePoint> CountsAsync(CancellationToken cancellationToken)
    {
        var all = (await Task.WhenAll(_workers.Select(w => w.SendAsync("counts", cancellationToken)))).Select(r => r.Counts!.Value).ToList();
        return new TimelinePoint(all.Sum(p => p.Open), all.Sum(p => p.Moved), all.Sum(p => p.Received));
    }

    /// <summary>Every process's counts now, summed; <see cref="WorkerStatus.Behind"/> is about <paramref name="finalSequence"/>.</summary>
    public async Task<WorkerStatus> StatusAsync(long finalSequence, CancellationToken cancellationToken)
    {
        var all = await StatusesAsync(finalSequence, cancellationToken);
        return new WorkerStatus(all.Sum(s => s.Received), all.Sum(s => s.Bytes), all.Sum(s => s.Connections),
            all.Sum(s => s.Open), all.Sum(s => s.Behind), all.Sum(s => s.Moved), all.Sum(s => s.Reconnects), all.Max(s => s.LatestReturnMs),
            all.Sum(s => s.ConnectRetries), string.Join(" | ", all.Select(s => s.CommonEnd).OfType<string>()) is { Length: > 0 } ends ? ends : null);
    }

    /// <summary>
    /// Waits until every connection has received tick <paramref name="finalSequence"/>. A server
    /// still working through a backlog is given time: the wait ends early only once nothing has
    /// arrived for <paramref name="quiet"/>, and at the latest after <paramref name="limit"/>.
    /// </summary>
    public async Task<bool> WaitForAsync(long finalSequence, TimeSpan quiet, TimeSpan limit, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        var received = -1L;
        while (true)
        {
            var status = await StatusAsync(finalSequence, cancellationToken);
            if (status.Behind == 0)
            {
                return true;
            }

            if (status.Received != received)
            {
                received = status.Received;
                sinceProgress.Restart();
            }
            else if (sinceProgress.Elapsed >= quiet || total.Elapsed >= limit)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>How many clients of each process have not reached <paramref name="finalSequence"/>, and how many are open.</summary>
    public async Task<string> DescribeBehindAsync(long finalSequence, CancellationToken cancellationToken)
    {
        var all = await StatusesAsync(finalSequence, cancellationToken);
        return string.Join("; ", all.Select((s, i) => Invariant($"load {i + 1}: behind={s.Behind} open={s.Open} of {s.Connections}")));
    }

    private async Task<WorkerStatus[]> StatusesAsync(long finalSequence, CancellationToken cancellationToken) =>
        (await Task.WhenAll(_workers.Select(w => w.SendAsync(Invariant($"status {finalSequence}"), cancellationToken)))).Select(r => r.Status!).ToArray();

    /// <summary>Every connection's count against ticks 1 to <paramref name="finalSequence"/>; fills <see cref="Latency"/>.</summary>
    public async Task<DeliveryReport> ReportAsync(long finalSequence, CancellationToken cancellationToken)
    {
        var reports = (await Task.WhenAll(_workers.Select(w => w.SendAsync(Invariant($"report {finalSequence}"), cancellationToken))))
            .Select(r => r.Report!).ToList();
        Latency.Reset();
        UnmovedLatency.Reset();
        foreach (var report in reports)
        {
            Latency.Add(report.LatencyCounts, report.LatencyMax);
            UnmovedLatency.Add(report.UnmovedLatencyCounts, report.UnmovedLatencyMax);
        }

        var d = reports.Select(r => r.Delivery).ToList();
        return new DeliveryReport(d.Sum(r => r.Clients), finalSequence, d.Sum(r => r.Expected), d.Sum(r => r.Received),
            d.Sum(r => r.Lost), d.Sum(r => r.Duplicates), d.Sum(r => r.Malformed), d.Sum(r => r.Dropped),
            d.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
    }

    /// <summary>The load-generator processes, for their CPU time.</summary>
    public IReadOnlyList<int> ProcessIds => [.. _workers.Select(w => w.ProcessId)];

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_workers.Select(w => w.DisposeAsync().AsTask()));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One load-generator process and its command line: one command at a time.</summary>
    private sealed class Worker : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly SemaphoreSlim _turn = new(1);
        private readonly string _name;

        public Worker(string name, LoadTarget target, IPAddress source, OutputSink output)
        {
            _name = name;
            var start = new ProcessStartInfo(ServiceProcess.DotnetHost)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { typeof(LoadFleet).Assembly.Location, LoadGenWorker.Command, "--url", target.Url.ToString(),
                         "--protocol", target.Protocol == ClientProtocol.SignalR ? "signalr" : "sse", "--tick-event", target.TickEvent,
                         "--source", source.ToString() })
            {
                start.ArgumentList.Add(argument);
            }

            if (target.Reconnect)
            {
                start.ArgumentList.Add("--reconnect");
            }

            // The load processes are the instrument, so they are tuned not to stall: under the storm
            // each gen0 collection froze its process, every client in it, for seconds on a box whose
            // two cores twenty busy processes share, and tiered compilation re-jitted the reconnect
            // path in the middle of it (perf, bench/results/storm-by-size/profile.md). A gen0 budget of 256 MB
            // leaves a few collections a minute; without the instrumented tier, a hot method is
            // compiled once more, not twice.
            start.Environment["DOTNET_GCgen0size"] = "0x10000000";
            start.Environment["DOTNET_GCgen0MaxBudget"] = "0x10000000";
            start.Environment["DOTNET_TieredPGO"] = "0";

            _process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    output(name, line);
                }
            };
            _process.BeginErrorReadLine();
        }

        public int ProcessId => _process.Id;

        /// <summary>Connections this process was asked to open (and opened).</summary>
        public int Connections { get; set; }

        public async Task<WorkerReply> SendAsync(string command, CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(cancellationToken);
            try
            {
                await _process.StandardInput.WriteLineAsync(command.AsMemory(), cancellationToken);
                await _process.StandardInput.FlushAsync(cancellationToken);
                var line = await _process.StandardOutput.ReadLineAsync(cancellationToken)
                    ?? throw new IOException($"{_name} exited (code {(_process.HasExited ? _process.ExitCode : -1)}) during '{command}'.");
                var reply = JsonSerializer.Deserialize(line, WorkerJsonContext.Default.WorkerReply)
                    ?? throw new IOException($"{_name} answered '{line}' to '{command}'.");
                return reply.Ok ? reply : throw new IOException($"{_name}: {reply.Error}");
            }
            finally
            {
                _turn.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    await _process.StandardInput.WriteLineAsync("quit");
                    await _process.StandardInput.FlushAsync();
                }

                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            _turn.Dispose();
        }
    }
}
