using System.Diagnostics.Metrics;
using AspireSse.Contracts;

namespace AspireSse.EventService.Ticking;

/// <summary>The EventService's instruments (names in <see cref="SseMetrics"/>).</summary>
public sealed class TickerMetrics
{
    private readonly Counter<long> _published;

    public TickerMetrics(IMeterFactory meterFactory, TickerStatus status)
    {
        var meter = meterFactory.Create(SseTelemetry.MeterName);
        _published = meter.CreateCounter<long>(SseMetrics.TicksPublished, "{tick}", "Ticks published by the leader");
        // Which instance ticks, per instance in the dashboard's metrics: 1 for the leader, 0 for a standby.
        meter.CreateObservableGauge(SseMetrics.TickerLeader, () => status.IsLeader ? 1 : 0, "{instance}",
            "1 while this instance holds the single-writer lease and ticks, 0 while it stands by");
    }

    public void Published() => _published.Add(1);
}
