using AspireSse.Bench.Report;

namespace AspireSse.Bench.Tests;

/// <summary>The report's table, ratios and figures, from made-up rows.</summary>
public sealed class ReportTests
{
    private static readonly SummaryRow[] Rows =
    [
        Row("aspiresse", 10_000, cpu: 4, kb: 6),
        Row("nchan", 10_000, cpu: 6, kb: 9.8),
        Row("nchan-redis", 10_000, cpu: 7, kb: 9.9),
        Row("signalr", 10_000, cpu: 16, kb: 30),
        Row("floor", 10_000, cpu: 3.9, kb: 5),
        Row("aspiresse", 100_000, cpu: 4.4, kb: 5.8),
        Row("nchan", 100_000, cpu: 5, kb: 9.7),
        Row("nchan-redis", 100_000, cpu: 4.5, kb: 9.9),
        Row("floor", 100_000, cpu: 4, kb: 5),
    ];

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

    [Fact]
    public void TheReportJudgesOursAgainstNchansBestConfigurationAndTheFloorAtEachClientCount()
    {
        var run = new RunDescription(DateTimeOffset.UnixEpoch, "quick", 1, TimeSpan.FromSeconds(8), 1, "2 cores", "1 / 1 / 1", "contended",
            "3 %", "0123456789ab");

        var markdown = MarkdownReport.Render(run, Rows, []);

        Assert.Contains("| 10,000 | nchan | 0.67 × | 1.50 × | 0.61 × | 1.00 × |", markdown);
        Assert.Contains("**contended**", markdown);
        Assert.Contains("· CPU in use at start: 3 % · commit 0123456789ab", markdown);
        // At 10 000 the memory store is nchan's best; at 100 000 (made up) its Redis store is.
        Assert.Contains("Against nchan's best configuration here: `nchan` (1 worker, memory store).", markdown);
        Assert.Contains("Against nchan's best configuration here: `nchan-redis` (1 worker, Redis store).", markdown);
        Assert.Contains("| deliveries per CPU-second ≥ 1.25 × nchan's | 1.50 × | met |", markdown);
        Assert.Contains("| deliveries per CPU-second ≥ 1.25 × nchan's | 1.02 × | **not met** |", markdown);
        // 4 µs against a floor of 3.9 µs is 1.03 ×; 4.4 against 4 is 1.10 ×.
        Assert.Contains("| CPU per delivered event ≤ 1.05 × the bare-send floor at the same clients | 1.03 × (4.00 vs 3.90 µs) | met |", markdown);
        Assert.Contains("| CPU per delivered event ≤ 1.05 × the bare-send floor at the same clients | 1.10 × (4.40 vs 4.00 µs) | **not met** |", markdown);
        Assert.Contains("| idle memory ≤ 6 KB RSS per stream | 5.80 KB | met |", markdown);
        Assert.Contains("| 170 | 1.50 | 0 of 1,000 | 0 |", markdown);
    }

    [Fact]
    public void AReportReadBackGivesTheRunAndRowsItWasWrittenFrom()
    {
        var run = new RunDescription(new DateTimeOffset(2026, 11, 24, 9, 30, 0, TimeSpan.Zero), "full", 10, TimeSpan.FromSeconds(30), 3,
            "2 cores (AMD EPYC), 24 GiB", "2.10 / 1.00 / 0.50", null, "12 %", "0123456789ab+changes");
        var path = Path.Combine(Directory.CreateTempSubdirectory("aspiresse-bench-report-").FullName, "benchmark.md");
        try
        {
            File.WriteAllText(path, MarkdownReport.Render(run, Rows, []));

            var (readRun, readRows) = MarkdownReportReader.Read(path);

            Assert.Equal(run, readRun);
            Assert.Equal(Rows.Select(r => (r.System, r.Clients, r.CpuMicrosecondsPerEvent, r.IdleKilobytesPerConnection, r.EventsLost)),
                readRows.Select(r => (r.System, r.Clients, r.CpuMicrosecondsPerEvent, r.IdleKilobytesPerConnection, r.EventsLost)));
            Assert.Equal(MarkdownReport.Render(run, Rows, []), MarkdownReport.Render(readRun, readRows, []));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void EachFigureIsAPngOfTheChartSize()
    {
        var directory = Directory.CreateTempSubdirectory("aspiresse-bench-figures-").FullName;
        try
        {
            var figures = Figures.Write(Rows, "test", directory);

            Assert.Equal(7, figures.Count);
            foreach (var (file, _) in figures)
            {
                var bytes = File.ReadAllBytes(Path.Combine(directory, file));
                Assert.Equal(PngSignature, bytes[..8]);
                Assert.Equal("IHDR"u8.ToArray(), bytes[12..16]);
                Assert.Equal(960, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Only ours counts its writes; the peers report NaN.
    private static SummaryRow Row(string system, int clients, double cpu, double kb) =>
        new(system, clients, 1, cpu, 1e6 / cpu, 1, 2, 3, kb, kb, 170, system == "aspiresse" ? 1.5 : double.NaN, 0, 1000, 0, null,
            system switch { "aspiresse" => "1 replica", "nchan-redis" => "1 worker, Redis store", _ => "1 worker, memory store" });
}
