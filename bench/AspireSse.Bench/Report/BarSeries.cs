using ScottPlot;

namespace AspireSse.Bench.Report;

/// <summary>One system's values, one per group (client count); NaN where it has no value.</summary>
public sealed record BarSeries(string Name, Color Color, IReadOnlyList<double> Values);
