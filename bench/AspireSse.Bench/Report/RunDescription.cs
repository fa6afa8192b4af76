using System.Globalization;

namespace AspireSse.Bench.Report;

/// <summary>What the run was, where, and of which code, for the report's header.</summary>
/// <param name="BusyAtStart">The share of CPU others used just before the run (<see cref="MachineInfo.BusyFractionAsync"/>).</param>
public sealed record RunDescription(
    DateTimeOffset Started,
    string Mode,
    double TicksPerSecond,
    TimeSpan Window,
    int Rounds,
    string Machine,
    string LoadAtStart,
    string? Note,
    string BusyAtStart = "n/a",
    string Commit = "unknown")
{
    /// <summary>The line under each figure's title: enough to tell two runs' figures apart.</summary>
    public string FigureSubtitle => string.Create(CultureInfo.InvariantCulture,
        $"{Mode} run {Started:yyyy-MM-dd}, {TicksPerSecond:0.##} ticks/s, {Machine.Split(' ')[0]} cores, load average {LoadAtStart.Split(' ')[0]} at start");
}
