using AspireSse.Bench.Measurement;

namespace AspireSse.Bench.Report;

/// <summary>One system at one client count over every round: medians, and losses summed.</summary>
public sealed record SummaryRow(
    string System,
    int Clients,
    int Rounds,
    double CpuMicrosecondsPerEvent,
    double DeliveriesPerCpuSecond,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double LatencyMaxMs,
    double IdleKilobytesPerConnection,
    double IdlePssKilobytesPerConnection,
    double WireBytesPerEvent,
    double EventsPerWrite,
    long EventsLost,
    long EventsExpected,
    int ConnectionsDropped,
    string? Error,
    string Configuration = "")
{
    /// <summary>Cores the server kept busy in the window (CPU-seconds per second), for sizing; not read back from a report.</summary>
    public double CoresInUse { get; init; } = double.NaN;

    /// <summary>Cores the load generators (the clients) kept busy in the same window.</summary>
    public double LoadCores { get; init; } = double.NaN;

    /// <summary>Cores the server kept busy with every client connected and no tick flowing.</summary>
    public double IdleCores { get; init; } = double.NaN;

    /// <summary>The server's RSS (all its processes) with every client connected, idle, in MB.</summary>
    public double IdleRssMegabytes { get; init; } = double.NaN;

    /// <summary>Kernel slab memory per further client, machine-wide (both ends of the loopback connection).</summary>
    public double KernelKilobytesPerConnection { get; init; } = double.NaN;


    public static IReadOnlyList<SummaryRow> From(IEnumerable<RunResult> results) =>
        results.GroupBy(r => (r.System, r.Clients))
            .Select(g => new SummaryRow(
                g.Key.System,
                g.Key.Clients,
                g.Count(),
                Median(g.Select(r => r.CpuMicrosecondsPerEvent)),
                Median(g.Select(r => r.DeliveriesPerCpuSecond)),
                Median(g.Select(r => r.LatencyP50Ms)),
                Median(g.Select(r => r.LatencyP99Ms)),
                g.Max(r => r.LatencyMaxMs),
                Median(g.Select(r => r.IdleBytesPerConnection / 1024)),
                Median(g.Select(r => r.IdlePssBytesPerConnection / 1024)),
                Median(g.Select(r => r.WireBytesPerEvent)),
                Median(g.Select(r => r.EventsPerWrite)),
                g.Sum(r => r.EventsLost),
                g.Sum(r => r.EventsExpected),
                g.Sum(r => r.ConnectionsDropped),
                g.Select(r => r.Error).FirstOrDefault(e => e is not null),
                g.Select(r => r.Configuration).FirstOrDefault(c => c.Length > 0) ?? "")
            {
                CoresInUse = Median(g.Select(r => r.CpuSeconds / r.WindowSeconds)),
                LoadCores = Median(g.Select(r => r.LoadCpuSeconds / r.WindowSeconds)),
                IdleCores = Median(g.Select(r => r.IdleCores)),
                IdleRssMegabytes = Median(g.Select(r => r.IdleRssBytes == 0 ? double.NaN : r.IdleRssBytes / 1048576.0)),
                KernelKilobytesPerConnection = Median(g.Select(r => r.KernelBytesPerConnection / 1024)),
            })
            .ToList();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
