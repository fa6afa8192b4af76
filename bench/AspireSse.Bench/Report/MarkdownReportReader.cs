using System.Globalization;
using System.Text.RegularExpressions;

namespace AspireSse.Bench.Report;

/// <summary>
/// Reads a benchmark.md written by <see cref="MarkdownReport"/> back into its run and rows, so that the
/// figures can be drawn again without running the benchmark: the report is committed, raw results are not.
/// Error lines are not read back; no figure shows them.
/// </summary>
public static partial class MarkdownReportReader
{
    public static (RunDescription Run, IReadOnlyList<SummaryRow> Rows) Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var head = lines.Select(l => Header().Match(l)).FirstOrDefault(m => m.Success)
            ?? throw new FormatException($"{path}: no run header line");
        var run = new RunDescription(
            DateTimeOffset.ParseExact(head.Groups["started"].Value, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            head.Groups["mode"].Value,
            Number(head.Groups["rate"].Value),
            TimeSpan.FromSeconds(Number(head.Groups["window"].Value)),
            (int)Number(head.Groups["rounds"].Value),
            head.Groups["machine"].Value,
            head.Groups["load"].Value,
            lines.FirstOrDefault(l => l.StartsWith("**", StringComparison.Ordinal))?.Trim('*'),
            head.Groups["busy"].Value,
            head.Groups["commit"].Value);

        // The heading, a blank line, the column names and the alignment row come before the rows.
        var rows = lines.SkipWhile(l => l != "## Results").Skip(4).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split('|', StringSplitOptions.TrimEntries))
            .Select(c => (Cells: c, Lost: c[12].Split(" of ")))
            .Select(r => new SummaryRow(r.Cells[1], (int)Number(r.Cells[0]), run.Rounds,
                Number(r.Cells[3]), Number(r.Cells[4]), Number(r.Cells[5]), Number(r.Cells[6]), Number(r.Cells[7]),
                Number(r.Cells[8]), Number(r.Cells[9]), Number(r.Cells[10]), Number(r.Cells[11]),
                (long)Number(r.Lost[0]), (long)Number(r.Lost[1]), (int)Number(r.Cells[13]), null, r.Cells[2]))
            .ToList();
        return (run, rows);
    }

    private static double Number(string text) => text == "n/a" ? double.NaN
        : double.Parse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<started>\S+ \S+) UTC · (?<mode>\S+) · (?<machine>.+) · (?<rate>[\d.]+) ticks/s · window (?<window>\d+) s · (?<rounds>\d+) round\(s\), A/B alternated · load average at start: (?<load>.+) · CPU in use at start: (?<busy>.+) · commit (?<commit>\S+)$")]
    private static partial Regex Header();
}
