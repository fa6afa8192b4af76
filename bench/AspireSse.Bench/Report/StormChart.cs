using AspireSse.Bench.Measurement;
using ScottPlot;

namespace AspireSse.Bench.Report;

/// <summary>A storm's timeline: clients whose stream is open, and ticks delivered, from the stop on.</summary>
public static class StormChart
{
    private const int Width = 960;
    private const int Height = 540;

    public static (string File, string Caption) Save(StormResult storm, string subtitle, string directory)
    {
        var file = $"storm-{storm.Kind.ToString().ToLowerInvariant()}-timeline.png";
        var caption = $"Reconnect storm ({(storm.Kind == StormKind.Kill ? "SIGKILL" : "SIGTERM")}): {storm.Clients:N0} clients over {storm.Replicas} replicas";
        if (GroupedBarChart.SansFont is not null)
        {
            Fonts.Default = GroupedBarChart.SansFont;
        }

        using var plot = new Plot();
        var samples = storm.Timeline;
        var seconds = samples.Select(s => s.Seconds).ToArray();
        var open = plot.Add.Scatter(seconds, samples.Select(s => (double)s.Open).ToArray());
        open.LegendText = "clients live (left)";
        open.MarkerSize = 0;
        open.LineWidth = 2;

        var delivered = plot.Add.Scatter(seconds, samples.Select(s => (double)s.Received).ToArray());
        delivered.LegendText = "ticks delivered, all clients (right)";
        delivered.MarkerSize = 0;
        delivered.LineWidth = 1.5f;
        delivered.Axes.YAxis = plot.Axes.Right;

        plot.Axes.SetLimitsY(0, storm.Clients * 1.05, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, Math.Max(1, samples.Count == 0 ? 1 : samples.Max(s => s.Received)) * 1.05, plot.Axes.Right);
        plot.Add.VerticalLine(0, 1, Colors.Gray, LinePattern.Dashed);
        plot.Title(caption, 16);
        plot.XLabel($"seconds since the replica was stopped · {subtitle}", 12);
        plot.YLabel("clients with an open stream", 13);
        plot.Axes.Right.Label.Text = "ticks delivered since the stop";
        plot.ShowLegend(Edge.Top);
        plot.SavePng(Path.Combine(directory, file), Width, Height);
        return (file, caption);
    }
}
