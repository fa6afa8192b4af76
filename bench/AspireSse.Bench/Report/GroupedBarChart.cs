using System.Globalization;
using ScottPlot;
using ScottPlot.Panels;
using ScottPlot.TickGenerators;

namespace AspireSse.Bench.Report;

/// <summary>
/// A grouped bar chart drawn with ScottPlot: one group per client count, one bar per system, the value
/// written above each bar, optionally a target line.
/// </summary>
public static class GroupedBarChart
{
    private const int Width = 960;
    private const int Height = 540;
    private static readonly Color TargetColor = new(200, 40, 40);
    private static readonly Color Muted = new(90, 90, 90);

    // Left to itself ScottPlot takes the first face Skia finds, which on Debian is a serif one. ScottPlot
    // reads its default font name only as labels are made, hence setting it before each plot.
    internal static readonly string? SansFont = new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial" }
        .FirstOrDefault(SkiaSharp.SKFontManager.Default.FontFamilies.Contains);

    public static void Save(string path, string title, string subtitle, string groupTitle, string valueTitle,
        IReadOnlyList<string> groups, IReadOnlyList<BarSeries> series, ReferenceLine? reference = null)
    {
        if (SansFont is not null)
        {
            Fonts.Default = SansFont;
        }

        using var plot = new Plot();
        // A gap of one bar between groups; a system without a value leaves its slot empty.
        var stride = series.Count + 1;
        for (var s = 0; s < series.Count; s++)
        {
            var bars = series[s].Values.Select((value, g) => (value, g)).Where(b => double.IsFinite(b.value))
                .Select(b => new Bar
                {
                    Position = (b.g * stride) + s,
                    Value = b.value,
                    Size = 0.92,
                    FillColor = series[s].Color,
                    LineWidth = 0,
                    Label = Format(b.value),
                }).ToList();
            var plotted = plot.Add.Bars(bars);
            plotted.LegendText = series[s].Name;
            plotted.ValueLabelStyle.FontSize = 12;
        }

        var center = (series.Count - 1) / 2.0;
        plot.Axes.Bottom.TickGenerator = new NumericManual(groups.Select((g, i) => new Tick((i * stride) + center, g)).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 14;
        if (plot.Axes.Bottom is ScottPlot.AxisPanels.AxisBase bottom)
        {
            // Without tick marks the client counts would sit right on the axis title.
            bottom.PaddingBetweenTickAndAxisLabels = new PixelPadding(5, 8);
        }

        plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = Format, MinimumTickSpacing = 40 };
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.Axes.Top.IsVisible = false;
        plot.Axes.Right.FrameLineStyle.Width = 0;
        plot.Grid.XAxisStyle.IsVisible = false;

        // A bar's width of room left of the first bar and right of the last one.
        var right = (groups.Count * stride) - 1.0;
        var highest = series.SelectMany(s => s.Values).Where(double.IsFinite).Append(reference?.Value ?? 0).Max();
        // Headroom for the labels above the tallest bar; an all-zero chart still gets an axis.
        plot.Axes.SetLimits(-1, right, 0, highest > 0 ? highest * 1.12 : 5);

        if (reference is not null)
        {
            plot.Add.HorizontalLine(reference.Value, 2, TargetColor, LinePattern.Dashed);
            var label = plot.Add.Text(reference.Label, right, reference.Value);
            label.LabelAlignment = Alignment.LowerRight;
            label.LabelFontColor = TargetColor;
            label.LabelFontSize = 13;
            label.LabelBold = true;
            // The line's right end is the last group's last bar: the label must stay legible over it.
            label.LabelBackgroundColor = Colors.White.WithAlpha(0.85);
            label.LabelPadding = 2;
        }

        plot.Title(title, 18);
        plot.XLabel(groupTitle, 14);
        plot.YLabel(valueTitle, 14);
        plot.Axes.Bottom.Label.ForeColor = Muted;
        plot.Axes.Left.Label.ForeColor = Muted;
        plot.ShowLegend(Edge.Top).Padding = new PixelPadding(0, 6);
        plot.Legend.TightHorizontalWrapping = true;
        plot.Legend.OutlineWidth = 0;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.FontSize = 13;
        // Added after the legend so that it stands between the title and the legend.
        var caption = new TitlePanel { VerticalPadding = 4 };
        caption.Label.Text = subtitle;
        caption.Label.Bold = false;
        caption.Label.FontSize = 13;
        caption.Label.ForeColor = Muted;
        plot.Axes.AddPanel(caption);
        plot.SavePng(path, Width, Height);
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
