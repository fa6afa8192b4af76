using System.Globalization;

namespace AspireSse.Bench.Report.Png;

/// <summary>One system's values, one per group (client count).</summary>
public sealed record BarSeries(string Name, Rgb Color, IReadOnlyList<double> Values);

/// <summary>A line across the chart marking a target value.</summary>
public sealed record ReferenceLine(double Value, string Label);

/// <summary>
/// A grouped bar chart: one group per client count, one bar per system, the value written above
/// each bar, optionally a target line.
/// </summary>
public static class BarChart
{
    private const int Width = 960;
    private const int Height = 540;
    private const int Left = 100;
    private const int Right = 30;
    private const int Top = 90;
    private const int Bottom = 70;
    private const int Scale = 2;
    private static readonly Rgb TargetColor = new(200, 40, 40);
    private static readonly int[] NiceSteps = [1, 2, 5, 10];

    public static Canvas Render(string title, string subtitle, string groupTitle, IReadOnlyList<string> groups,
        IReadOnlyList<BarSeries> series, ReferenceLine? reference = null)
    {
        var canvas = new Canvas(Width, Height, Rgb.White);
        var titleScale = Canvas.TextWidth(title, 3) <= Width - 40 ? 3 : Scale;
        canvas.Text(20, 16, title, titleScale, Rgb.Black);
        canvas.Text(20, 46, subtitle, Scale, Rgb.Axis);

        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var finite = series.SelectMany(s => s.Values).Where(double.IsFinite).Append(reference?.Value ?? 0);
        var (step, top) = Axis(finite.Max());

        // Horizontal grid lines with their values.
        for (var value = 0.0; value <= top + (step / 2); value += step)
        {
            var y = Top + plotHeight - (int)Math.Round(value / top * plotHeight);
            canvas.FillRect(Left, y, plotWidth, 1, Rgb.Grid);
            var label = Format(value);
            canvas.Text(Left - 10 - Canvas.TextWidth(label, Scale), y - 7, label, Scale, Rgb.Axis);
        }

        var groupWidth = plotWidth / Math.Max(1, groups.Count);
        var barWidth = (int)(groupWidth * 0.8 / Math.Max(1, series.Count));
        for (var g = 0; g < groups.Count; g++)
        {
            var groupLeft = Left + (g * groupWidth) + (int)(groupWidth * 0.1);
            for (var s = 0; s < series.Count; s++)
            {
                var value = g < series[s].Values.Count ? series[s].Values[g] : double.NaN;
                var x = groupLeft + (s * barWidth);
                var label = double.IsFinite(value) ? Format(value) : "N/A";
                var height = double.IsFinite(value) ? (int)Math.Round(value / top * plotHeight) : 0;
                canvas.FillRect(x + 2, Top + plotHeight - height, barWidth - 4, height, series[s].Color);
                var labelWidth = Canvas.TextWidth(label, Scale);
                var labelScale = labelWidth <= barWidth ? Scale : 1;
                labelWidth = Canvas.TextWidth(label, labelScale);
                canvas.Text(x + ((barWidth - labelWidth) / 2), Top + plotHeight - height - (9 * labelScale), label, labelScale, Rgb.Black);
            }

            var groupLabel = groups[g];
            canvas.Text(Left + (g * groupWidth) + ((groupWidth - Canvas.TextWidth(groupLabel, Scale)) / 2),
                Top + plotHeight + 12, groupLabel, Scale, Rgb.Black);
        }

        canvas.FillRect(Left, Top + plotHeight, plotWidth, 2, Rgb.Axis);
        canvas.FillRect(Left - 2, Top, 2, plotHeight + 2, Rgb.Axis);
        canvas.Text(Left + ((plotWidth - Canvas.TextWidth(groupTitle, Scale)) / 2), Height - 28, groupTitle, Scale, Rgb.Axis);

        if (reference is not null)
        {
            var y = Top + plotHeight - (int)Math.Round(reference.Value / top * plotHeight);
            for (var x = Left; x < Left + plotWidth; x += 12)
            {
                canvas.FillRect(x, y - 1, 8, 2, TargetColor);
            }

            canvas.Text(Left + plotWidth - Canvas.TextWidth(reference.Label, Scale), y - 18, reference.Label, Scale, TargetColor);
        }

        // Legend, top right.
        var legendX = Width - Right;
        for (var s = series.Count - 1; s >= 0; s--)
        {
            legendX -= Canvas.TextWidth(series[s].Name, Scale) + 30;
            canvas.FillRect(legendX, 66, 14, 14, series[s].Color);
            canvas.Text(legendX + 20, 66, series[s].Name, Scale, Rgb.Black);
        }

        return canvas;
    }

    /// <summary>A round step (1, 2 or 5 × 10ⁿ) giving about five grid lines, and the axis top.</summary>
    private static (double Step, double Top) Axis(double max)
    {
        if (!(max > 0))
        {
            return (1, 5);
        }

        var rough = max * 1.15 / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = NiceSteps.Select(m => m * magnitude).First(s => s >= rough);
        return (step, Math.Ceiling(max * 1.15 / step) * step);
    }

    /// <summary>Three significant figures, with K and M for large numbers.</summary>
    public static string Format(double value) => value switch
    {
        >= 10_000_000 => (value / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1_000).ToString("0.#", CultureInfo.InvariantCulture) + "K",
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        0 => "0",
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };
}
