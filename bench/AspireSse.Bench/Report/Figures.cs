using System.Globalization;
using ScottPlot;

namespace AspireSse.Bench.Report;

/// <summary>One PNG per figure: a grouped bar chart over client counts, one bar per system.</summary>
public static class Figures
{
    private static readonly Dictionary<string, Color> Colors = new()
    {
        ["aspiresse"] = new Color(40, 110, 200),
        ["nchan"] = new Color(60, 160, 80),
        ["signalr"] = new Color(230, 140, 30),
        ["floor"] = new Color(150, 150, 150),
    };

    private static readonly Color OtherSystem = new(90, 90, 90);

    /// <summary>Writes every figure into <paramref name="directory"/>; returns (file name, caption) pairs.</summary>
    public static IReadOnlyList<(string File, string Caption)> Write(IReadOnlyList<SummaryRow> rows, string subtitle, string directory)
    {
        List<(string, string, string, Func<SummaryRow, double>, ReferenceLine?)> figures =
        [
            // Its target is relative (1.05 × the floor at the same count): the floor's bars are the line.
            ("cpu-per-event.png", "Server CPU µs per delivered event (lower is better)", "CPU µs / event", r => r.CpuMicrosecondsPerEvent, null),
            ("deliveries-per-cpu-second.png", "Deliveries per server CPU-second (higher is better)", "deliveries / CPU-second",
                r => r.DeliveriesPerCpuSecond, null),
            ("latency-p50.png", "Publish-to-receive latency p50, ms", "ms", r => r.LatencyP50Ms, null),
            ("latency-p99.png", "Publish-to-receive latency p99, ms", "ms", r => r.LatencyP99Ms, null),
            ("latency-max.png", "Publish-to-receive latency max, ms", "ms", r => r.LatencyMaxMs, null),
            ("idle-memory-per-connection.png", "Idle server RSS per connection, KB", "KB / connection", r => r.IdleKilobytesPerConnection,
                new ReferenceLine(6, "target 6 KB")),
            ("events-lost.png", "Events lost (every client, every round)", "events", r => r.EventsLost, null),
        ];

        var clients = rows.Select(r => r.Clients).Distinct().Order().ToList();
        var systems = rows.Select(r => r.System).Distinct().ToList();
        var groups = clients.Select(c => c.ToString("N0", CultureInfo.InvariantCulture)).ToList();
        Directory.CreateDirectory(directory);
        var written = new List<(string, string)>();
        foreach (var (file, caption, unit, value, reference) in figures)
        {
            var series = systems.Select(s => new BarSeries(s, Colors.GetValueOrDefault(s, OtherSystem),
                clients.Select(c => rows.FirstOrDefault(r => r.System == s && r.Clients == c) is { } row ? value(row) : double.NaN).ToList())).ToList();
            GroupedBarChart.Save(Path.Combine(directory, file), caption, subtitle, "clients", unit, groups, series, reference);
            written.Add((file, caption));
        }

        return written;
    }
}
