using System.Globalization;
using System.Text;
using AspireSse.Bench.Measurement;

namespace AspireSse.Bench.Report;

/// <summary>The results as markdown: the table, ours against each peer, and the issue's targets.</summary>
public static class MarkdownReport
{
    private const string Ours = "aspiresse";

    public static string Render(RunDescription run, IReadOnlyList<SummaryRow> rows, IReadOnlyList<(string File, string Caption)> figures,
        IReadOnlyList<StormResult>? storms = null)
    {
        var md = new StringBuilder();
        md.AppendLine("# Fan-out benchmark: AspireSse vs nginx + nchan vs SignalR + Redis, and the bare-send floor").AppendLine();
        md.AppendLine(Invariant($"{run.Started:yyyy-MM-dd HH:mm} UTC · {run.Mode} · {run.Machine} · {run.TicksPerSecond:0.##} ticks/s · window {run.Window.TotalSeconds:0} s · {run.Rounds} round(s), A/B alternated · load average at start: {run.LoadAtStart} · CPU in use at start: {run.BusyAtStart} · commit {run.Commit}"));
        if (run.Note is not null)
        {
            md.AppendLine().AppendLine($"**{run.Note}**");
        }

        md.AppendLine().AppendLine("## Results").AppendLine();
        md.AppendLine("| clients | system | configuration | CPU µs / event | deliveries / CPU-s | p50 ms | p99 ms | max ms | idle KB / conn (RSS) | idle KB / conn (PSS) | bytes / event | events / write | lost | dropped |");
        md.AppendLine("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows.OrderBy(r => r.Clients).ThenBy(r => SystemOrder(r.System)))
        {
            md.AppendLine(Invariant(
                $"| {r.Clients:N0} | {r.System} | {(r.Configuration.Length == 0 ? "n/a" : r.Configuration)} | {F(r.CpuMicrosecondsPerEvent, 2)} | {F(r.DeliveriesPerCpuSecond, 0)} | {F(r.LatencyP50Ms, 2)} | {F(r.LatencyP99Ms, 2)} | {F(r.LatencyMaxMs, 1)} | {F(r.IdleKilobytesPerConnection, 2)} | {F(r.IdlePssKilobytesPerConnection, 2)} | {F(r.WireBytesPerEvent, 0)} | {F(r.EventsPerWrite, 2)} | {r.EventsLost:N0} of {r.EventsExpected:N0} | {r.ConnectionsDropped} |"));
        }

        var errors = rows.Where(r => r.Error is not null).ToList();
        foreach (var r in errors)
        {
            md.AppendLine().AppendLine(Invariant($"- {r.System} at {r.Clients:N0} clients: {r.Error}"));
        }

        md.AppendLine().AppendLine("## Ours against each peer").AppendLine();
        md.AppendLine("Ratios of AspireSse's figure to the peer's. CPU, memory and latency: below 1 means ours is lower (better); deliveries per CPU-second: above 1 means ours does more with the same CPU. The floor is not a peer: against it, CPU / event says how far ours is from the cost of the sends alone.").AppendLine();
        md.AppendLine("| clients | peer | CPU / event | deliveries / CPU-s | idle memory / conn | p99 latency |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var ours in rows.Where(r => r.System == Ours).OrderBy(r => r.Clients))
        {
            foreach (var peer in rows.Where(r => r.System != Ours && r.Clients == ours.Clients).OrderBy(r => SystemOrder(r.System)))
            {
                md.AppendLine(Invariant(
                    $"| {ours.Clients:N0} | {peer.System} | {Ratio(ours.CpuMicrosecondsPerEvent, peer.CpuMicrosecondsPerEvent)} | {Ratio(ours.DeliveriesPerCpuSecond, peer.DeliveriesPerCpuSecond)} | {Ratio(ours.IdleKilobytesPerConnection, peer.IdleKilobytesPerConnection)} | {Ratio(ours.LatencyP99Ms, peer.LatencyP99Ms)} |"));
            }
        }

        AppendTargets(md, rows);
        AppendSizing(md, rows);
        AppendStorms(md, storms ?? []);

        if (figures.Count > 0)
        {
            md.AppendLine().AppendLine("## Figures").AppendLine();
            foreach (var (file, caption) in figures)
            {
                md.AppendLine($"![{caption}]({file})");
            }
        }

        md.AppendLine().AppendLine("## How it was measured").AppendLine();
        md.AppendLine("""
            - Each system runs on its own redis-server, fed by the EventService at the rate above. Every process here is held to 20 000 open files (a hard limit), so above 17 000 clients a server runs as several processes sharing one port (Linux `SO_REUSEPORT`, the kernel spreading clients over them, no proxy): ours as that many WebFrontend replicas (`PortSharing:Port`), nchan as that many nginx workers (`listen … reuseport`), the floor as that many processes. The configuration column says which.
            - nchan (Debian's `libnginx-mod-nchan`, EventSource subscribers; a feeder in the benchmark process POSTs each Redis tick to the publisher location) runs three ways: `nchan`, its in-memory store with as few workers as the limit allows; `nchan-redis`, the same with messages through Redis (`nchan_redis_url`), like for like with ours; `nchan-more-workers`, the in-memory store with one worker more (full runs). Targets are judged against whichever did the most deliveries per CPU-second at that client count. SignalR: a hub process with the Redis backplane; a separate feeder process broadcasts each tick through it; one hub only, so it is not run above 17 000 clients. The feeders stamp `publishedAt` as they hand the tick over, as the EventService does for ours, and send the same JSON fields, so events are the same size. The floor: a bench-only process that subscribes to the same channel and sends each encoded tick to every connection with one non-blocking send, and does nothing else (no queue, no batching, no slow-client handling); its CPU per event is what the sends themselves cost here.
            - Only the fan-out server is measured: every WebFrontend replica, every nginx process, the hub process, every floor process. Redis, the EventService, the feeders and the load generator are not, but they share the same cores.
            - Every server process runs at nice 10, below everything else here (load generators, Redis, the EventService, the feeders): the clients stand in for browsers on other machines, so where the cores are not enough for both, the server is what falls behind, not the clients' reading (bench/results/clients-first.md).
            - **CPU µs per event**: the server's user + system CPU time (`/proc/<pid>/stat`) over the window, divided by the ticks every client received in that window. The window is fixed by the clock before it starts; each load process counts its clients' deliveries at both ends on a thread of its own, and the ticks stop as it closes. Deliveries per CPU-second is its inverse.
            - **Latency**: from the tick's `publishedAt` to the moment the client's read returned it, same machine, same clock; only ticks received inside the window.
            - **Idle memory per connection**, the same for every system: (server RSS with every client connected, before any tick − RSS with 50 clients connected) ÷ (clients − 50); each reading is taken once RSS moved less than 1 % over 2 s (or after 15 s; 8 s in a quick run), without forcing a GC. PSS splits pages shared between processes.
            - **Lost**: every client must receive every tick from 1 to the last one published; gaps count, and so does a tail still missing once nothing has arrived for 10 s after the ticks stopped (a server working through a backlog is late, not lossy, and is waited for up to 2 minutes; 30 s in a quick run). Dropped: connections the server closed.
            - The load generator runs as one process per 18 000 clients, each connecting from its own loopback address (127.0.0.2, .3, …: one address has about 28 000 ephemeral ports). It reads SSE with `HttpClient` and `SseParser` (its client CPU per event matched a hand-written allocation-free reader's, bench/results/sse-reader.md) and SignalR's JSON protocol with a span-based reader on a raw WebSocket; every client checks its ticks for loss, repeats and reordering by the tests' rule.
            - Before the run the benchmark measures how much CPU other processes use (/proc/stat over 3 s); above 25 % it waits up to a minute, then refuses unless `--allow-busy`, and the header gives the figure.
            """);
        return md.ToString();
    }

    /// <summary>
    /// Issue 14's targets at 10 000 clients (one replica) and at the largest count, each against nchan's
    /// best configuration at that count (of its rows, the one with the most deliveries per CPU-second)
    /// and the floor measured at that count.
    /// </summary>
    private static void AppendTargets(StringBuilder md, IReadOnlyList<SummaryRow> rows)
    {
        var counts = new[] { 10_000, rows.Count == 0 ? 0 : rows.Max(r => r.Clients) }.Distinct()
            .Where(n => rows.Any(r => r.System == Ours && r.Clients == n && r.Error is null));
        foreach (var clients in counts)
        {
            var ours = rows.First(r => r.System == Ours && r.Clients == clients);
            var nchan = BestNchan(rows, clients);
            var floor = rows.FirstOrDefault(r => r.System == "floor" && r.Clients == clients && double.IsFinite(r.CpuMicrosecondsPerEvent));

            md.AppendLine().AppendLine(Invariant($"## Targets at {clients:N0} clients ({ours.Configuration})")).AppendLine();
            if (nchan is not null)
            {
                md.AppendLine(Invariant($"Against nchan's best configuration here: `{nchan.System}` ({nchan.Configuration}).")).AppendLine();
            }

            md.AppendLine("| target | measured | met |");
            md.AppendLine("| --- | ---: | :---: |");
            Target("every tick reaches every client (0 lost, 0 dropped connections)",
                Invariant($"{ours.EventsLost:N0} lost, {ours.ConnectionsDropped} dropped"), ours.EventsLost == 0 && ours.ConnectionsDropped == 0);
            Target("idle memory ≤ 6 KB RSS per stream", $"{F(ours.IdleKilobytesPerConnection, 2)} KB", ours.IdleKilobytesPerConnection <= 6);
            if (nchan is not null)
            {
                Target("idle memory below nchan's", $"{F(ours.IdleKilobytesPerConnection, 2)} KB vs {F(nchan.IdleKilobytesPerConnection, 2)} KB",
                    ours.IdleKilobytesPerConnection < nchan.IdleKilobytesPerConnection);
            }

            Target("publish → receive p99 ≤ 1 s", $"{F(ours.LatencyP99Ms, 1)} ms", ours.LatencyP99Ms <= 1000);
            if (nchan is not null)
            {
                Target("p99 ≤ nchan's", $"{F(ours.LatencyP99Ms, 1)} ms vs {F(nchan.LatencyP99Ms, 1)} ms", ours.LatencyP99Ms <= nchan.LatencyP99Ms);
            }

            if (floor is not null)
            {
                var ratio = ours.CpuMicrosecondsPerEvent / floor.CpuMicrosecondsPerEvent;
                Target("CPU per delivered event ≤ 1.05 × the bare-send floor at the same clients",
                    $"{F(ratio, 2)} × ({F(ours.CpuMicrosecondsPerEvent, 2)} vs {F(floor.CpuMicrosecondsPerEvent, 2)} µs)", ratio <= 1.05);
            }

            if (nchan is not null)
            {
                var ratio = ours.DeliveriesPerCpuSecond / nchan.DeliveriesPerCpuSecond;
                Target("deliveries per CPU-second ≥ 1.25 × nchan's", $"{F(ratio, 2)} ×", ratio >= 1.25);
            }
        }

        void Target(string what, string measured, bool met) =>
            md.AppendLine(Invariant($"| {what} | {measured} | {(met ? "met" : "**not met**")} |"));
    }

    /// <summary>What ours needed at each client count: for sizing a deployment from this run.</summary>
    private static void AppendSizing(StringBuilder md, IReadOnlyList<SummaryRow> rows)
    {
        var ours = rows.Where(r => r.System == Ours && double.IsFinite(r.CoresInUse)).OrderBy(r => r.Clients).ToList();
        if (ours.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## Sizing (ours)").AppendLine();
        md.AppendLine("Cores in use: the replicas' CPU-seconds per second in the window, at this run's tick rate; clients' cores: the load generators' over the same window, on the same cores; idle: the replicas' over 5 s with every client connected and no tick (heartbeats, timers, GC). Kernel memory: the machine's slab memory (socket and TCP state, in no process's RSS) per further client, counting both ends of its loopback connection.").AppendLine();
        md.AppendLine("| clients | replicas | cores in use | clients' cores | idle | idle RSS, all replicas | per replica | kernel KB / conn (both ends) |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in ours)
        {
            var replicas = int.TryParse(r.Configuration.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 1;
            md.AppendLine(Invariant(
                $"| {r.Clients:N0} | {r.Configuration} | {F(r.CoresInUse, 2)} | {F(r.LoadCores, 2)} | {F(r.IdleCores, 3)} | {F(r.IdleRssMegabytes, 0)} MB | {F(r.IdleRssMegabytes / replicas, 0)} MB | {F(r.KernelKilobytesPerConnection, 2)} |"));
        }
    }

    private static void AppendStorms(StringBuilder md, IReadOnlyList<StormResult> storms)
    {
        if (storms.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("## Reconnect storm").AppendLine();
        md.AppendLine("Every client on one shared port over the replicas, at a rate the box carries with every client connected (ticks/s column); the replica holding the most streams is stopped and its clients reconnect with `Last-Event-ID`, as EventSource does, after the jittered `retry:` it was told. All live after: from the stop until every stream was open again (each load process counts its open streams every 250 ms by the clock); latest return: the most any client took beyond the `retry:` it was told (the reconnect itself, and any refusal and retry). Redis commands per resume: commands over the storm beyond an equally long quiet stretch just before it, per reconnect. p99 of the clients that never had to reconnect, over the storm. CPU until all live: the share of both cores' time that anything ran from the stop until the benchmark saw every client live again, and (in brackets) the shares the surviving replicas and the load generators took.").AppendLine();
        md.AppendLine("| stopped by | clients | replicas | ticks/s | its streams | moved | reconnects | all live after | jittered retry | latest return beyond its retry | CPU until all live: box (survivors, load) | Redis commands / resume | Redis CPU ms (quiet) | p99 unmoved ms | survivors' peak RSS MB | lost | duplicated or reordered | dropped |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in storms)
        {
            md.AppendLine(Invariant(
                $"| {(s.Kind == StormKind.Kill ? "SIGKILL" : "SIGTERM (drain)")} | {s.Clients:N0} | {s.Replicas} | {F(s.TicksPerSecond, 2)} | {s.VictimClients:N0} | {s.Moved:N0} | {s.Reconnects:N0} | {F(s.SecondsToAllLive, 1)} s | ≤ {F(s.JitteredRetrySeconds, 1)} s | {F(s.LatestReturnMs, 0)} ms | {Percent(s.BoxBusy)} ({Percent(s.SurvivorsCpuShare)}, {Percent(s.LoadCpuShare)}) | {F(s.RedisCommandsPerResume, 3)} | {F(s.RedisCpuMs, 0)} ({F(s.RedisQuietCpuMs, 0)}) | {F(s.UnmovedP99Ms, 1)} | {F(s.SurvivorPeakRssBytes / 1048576.0, 0)} | {s.EventsLost:N0} | {s.Duplicates:N0} | {s.ConnectionsDropped} |"));
        }

        foreach (var s in storms.Where(s => s.Error is not null))
        {
            md.AppendLine().AppendLine(Invariant($"- storm ({s.Kind}): {s.Error}"));
        }
    }

    /// <summary>nchan's configuration that did the most deliveries per CPU-second at <paramref name="clients"/>.</summary>
    public static SummaryRow? BestNchan(IReadOnlyList<SummaryRow> rows, int clients) =>
        rows.Where(r => r.System.StartsWith("nchan", StringComparison.Ordinal) && r.Clients == clients && double.IsFinite(r.DeliveriesPerCpuSecond))
            .MaxBy(r => r.DeliveriesPerCpuSecond);

    private static int SystemOrder(string system) => system switch
    {
        Ours => 0,
        "nchan" => 1,
        "nchan-redis" => 2,
        "nchan-more-workers" => 3,
        "signalr" => 4,
        _ => 5,
    };

    private static string F(double value, int decimals) =>
        double.IsFinite(value) ? value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "n/a";

    private static string Percent(double fraction) =>
        double.IsFinite(fraction) ? (fraction * 100).ToString("0", CultureInfo.InvariantCulture) + " %" : "n/a";

    private static string Ratio(double ours, double peer) =>
        double.IsFinite(ours) && double.IsFinite(peer) && peer != 0 ? (ours / peer).ToString("0.00", CultureInfo.InvariantCulture) + " ×" : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
