using System.Globalization;
using System.Text;

namespace AspireSse.Bench.Report;

/// <summary>The results as markdown: the table, ours against each peer, and the issue's targets.</summary>
public static class MarkdownReport
{
    private const string Ours = "aspiresse";

    public static string Render(RunDescription run, IReadOnlyList<SummaryRow> rows, IReadOnlyList<(string File, string Caption)> figures)
    {
        var md = new StringBuilder();
        md.AppendLine("# Fan-out benchmark: AspireSse vs nginx + nchan vs SignalR + Redis, and the bare-send floor").AppendLine();
        md.AppendLine(Invariant($"{run.Started:yyyy-MM-dd HH:mm} UTC · {run.Mode} · {run.Machine} · {run.TicksPerSecond:0.##} ticks/s · window {run.Window.TotalSeconds:0} s · {run.Rounds} round(s), A/B alternated · load average at start: {run.LoadAtStart}"));
        if (run.Note is not null)
        {
            md.AppendLine().AppendLine($"**{run.Note}**");
        }

        md.AppendLine().AppendLine("## Results").AppendLine();
        md.AppendLine("| clients | system | CPU µs / event | deliveries / CPU-s | p50 ms | p99 ms | max ms | idle KB / conn (RSS) | idle KB / conn (PSS) | bytes / event | events / write | lost | dropped |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows.OrderBy(r => r.Clients).ThenBy(r => SystemOrder(r.System)))
        {
            md.AppendLine(Invariant(
                $"| {r.Clients:N0} | {r.System} | {F(r.CpuMicrosecondsPerEvent, 2)} | {F(r.DeliveriesPerCpuSecond, 0)} | {F(r.LatencyP50Ms, 2)} | {F(r.LatencyP99Ms, 2)} | {F(r.LatencyMaxMs, 1)} | {F(r.IdleKilobytesPerConnection, 2)} | {F(r.IdlePssKilobytesPerConnection, 2)} | {F(r.WireBytesPerEvent, 0)} | {F(r.EventsPerWrite, 2)} | {r.EventsLost:N0} of {r.EventsExpected:N0} | {r.ConnectionsDropped} |"));
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
            - Each system runs on its own redis-server, fed by the EventService at the rate above. Ours: one WebFrontend replica, clients connected to it directly. nchan: nginx (Debian's `libnginx-mod-nchan`, `nchan_redis_url`), EventSource subscribers, a feeder in the benchmark process POSTs each Redis tick to the publisher location. SignalR: a hub process with the Redis backplane; a separate feeder process broadcasts each tick through the backplane. The feeders stamp `publishedAt` as they hand the tick over, as the EventService does for ours, and send the same JSON fields, so events are the same size. The floor: a bench-only process that subscribes to the same channel and sends each encoded tick to every connection with one non-blocking send, split over one thread per core, and does nothing else (no queue, no batching, no slow-client handling); its CPU per event is what the sends themselves cost here.
            - Only the fan-out server is measured: the WebFrontend process, every nginx process, the hub process, the floor process. Redis, the EventService, the feeders and the load generator are not, but they share the same cores.
            - **CPU µs per event**: the server's user + system CPU time (`/proc/<pid>/stat`) over the window, divided by the ticks every client received in that window. Deliveries per CPU-second is its inverse.
            - **Latency**: from the tick's `publishedAt` to the moment the client's read returned it, same machine, same clock; only ticks received inside the window.
            - **Idle memory per connection**: (server RSS with every client connected, before any tick — minus RSS after a few clients connected and left), divided by the clients; each reading is taken once RSS moved less than 1 % over 2 s (or after 15 s; 8 s in a quick run), without forcing a GC. PSS splits pages shared between nginx's processes.
            - **Lost**: every client must receive every tick from 1 to the last one published; gaps count, and so does a tail still missing once nothing has arrived for 10 s after the ticks stopped (a server working through a backlog is late, not lossy, and is waited for up to 2 minutes; 30 s in a quick run). Dropped: connections the server closed.
            - The load generator reads SSE with `HttpClient` and `SseParser` (its client CPU per event matched a hand-written allocation-free reader's, bench/results/sse-reader.md) and SignalR's JSON protocol with a span-based reader on a raw WebSocket; every client checks its ticks for loss, repeats and reordering by the tests' rule.
            """);
        return md.ToString();
    }

    private static void AppendTargets(StringBuilder md, IReadOnlyList<SummaryRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var clients = rows.Max(r => r.Clients);
        var ours = rows.FirstOrDefault(r => r.System == Ours && r.Clients == clients);
        var nchan = rows.FirstOrDefault(r => r.System == "nchan" && r.Clients == clients);
        var signalr = rows.FirstOrDefault(r => r.System == "signalr" && r.Clients == clients);
        var floor = rows.FirstOrDefault(r => r.System == "floor" && r.Clients == clients);
        if (ours is null)
        {
            return;
        }

        md.AppendLine().AppendLine(Invariant($"## Targets (issue 6, at {clients:N0} clients)")).AppendLine();
        md.AppendLine("| target | measured | met |");
        md.AppendLine("| --- | ---: | :---: |");
        Target("CPU per delivered event ≤ 5.5 µs", $"{F(ours.CpuMicrosecondsPerEvent, 2)} µs", ours.CpuMicrosecondsPerEvent <= 5.5);
        if (floor is not null)
        {
            // The fixed target above was set from an assumed cost of one send; this holds ours to the
            // send measured in the same run.
            var ratio = ours.CpuMicrosecondsPerEvent / floor.CpuMicrosecondsPerEvent;
            Target("CPU per delivered event within 1.25 × the bare-send floor measured in this run",
                $"{F(ratio, 2)} × ({F(floor.CpuMicrosecondsPerEvent, 2)} µs)", ratio <= 1.25);
        }

        if (nchan is not null)
        {
            var ratio = ours.DeliveriesPerCpuSecond / nchan.DeliveriesPerCpuSecond;
            Target("deliveries per CPU-second ≥ 1.3 × nchan's", $"{F(ratio, 2)} ×", ratio >= 1.3);
        }

        if (signalr is not null)
        {
            var ratio = ours.DeliveriesPerCpuSecond / signalr.DeliveriesPerCpuSecond;
            Target("deliveries per CPU-second ≥ 3 × SignalR's", $"{F(ratio, 2)} ×", ratio >= 3);
        }

        Target("idle RSS per SSE connection ≤ 8 KB", $"{F(ours.IdleKilobytesPerConnection, 2)} KB", ours.IdleKilobytesPerConnection <= 8);
        if (nchan is not null)
        {
            Target("latency p99 no worse than nchan's", $"{F(ours.LatencyP99Ms, 2)} ms vs {F(nchan.LatencyP99Ms, 2)} ms",
                ours.LatencyP99Ms <= nchan.LatencyP99Ms);
        }

        Target("no event lost", $"{ours.EventsLost:N0}", ours.EventsLost == 0 && ours.ConnectionsDropped == 0);
        // A steady rate seldom queues events; the burst itself is a test (see the README's Benchmark section).
        Target("under bursts, several events in one write", $"{F(ours.EventsPerWrite, 2)} events / write in the window",
            ours.EventsPerWrite > 1);

        void Target(string what, string measured, bool met) =>
            md.AppendLine(Invariant($"| {what} | {measured} | {(met ? "yes" : "**no**")} |"));
    }

    private static int SystemOrder(string system) => system switch
    {
        Ours => 0,
        "nchan" => 1,
        "signalr" => 2,
        _ => 3,
    };

    private static string F(double value, int decimals) =>
        double.IsFinite(value) ? value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double ours, double peer) =>
        double.IsFinite(ours) && double.IsFinite(peer) && peer != 0 ? (ours / peer).ToString("0.00", CultureInfo.InvariantCulture) + " ×" : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
