using System.Diagnostics.Metrics;
using AspireSse.ServiceDefaults;

namespace AspireSse.EventService.Ticking;

/// <summary>The EventService's instruments (names in <see cref="SseMetrics"/>).</summary>
public sealed class TickerMetrics(IMeterFactory meterFactory)
{
    private readonly Counter<long> _published = meterFactory.Create(SseTelemetry.MeterName)
        .CreateCounter<long>(SseMetrics.TicksPublished, "{tick}", "Ticks published by the leader");

    public void Published() => _published.Add(1);
}
