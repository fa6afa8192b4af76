namespace AspireSse.Bench.Report;

/// <summary>A line across the chart marking a target value.</summary>
public sealed record ReferenceLine(double Value, string Label);
