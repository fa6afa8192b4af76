using AspireSse.Contracts;

namespace AspireSse.Telemetry.Tests.Dashboard;

/// <summary>
/// One tick's trace as the dashboard's trace page shows it: the EventService's publish span and
/// everything that joined its trace (each replica's live relay, the Redis commands under them).
/// </summary>
internal sealed record TickTrace(long Sequence, DashboardSpan? Publish, IReadOnlyList<DashboardSpan> Spans)
{
    public const string PublishSpan = "aspiresse:ticks publish";
    public const string ProcessSpan = "aspiresse:ticks process";
    public const string ReplaySpan = "aspiresse:ticks replay";

    /// <summary>The live relay spans in the trace.</summary>
    public IReadOnlyList<DashboardSpan> Processes =>
        [.. Spans.Where(s => s.Name == ProcessSpan && s.Kind == DashboardSpanKind.Consumer && s.Attribute(SseMetrics.RelaySourceTag) == "live")];

    /// <summary>The publish span of each tick, by sequence, among the spans of the given EventService instances.</summary>
    public static async Task<IReadOnlyDictionary<long, DashboardSpan>> PublishSpansAsync(DashboardTelemetry dashboard,
        IEnumerable<string> eventServices, CancellationToken cancellationToken) =>
        (await dashboard.SpansAsync(eventServices, cancellationToken, limit: DashboardTelemetry.RecentSpans))
            .Where(s => s.Name == PublishSpan && s.LongAttribute(SseTelemetry.SequenceTag) is not null)
            .GroupBy(s => s.LongAttribute(SseTelemetry.SequenceTag)!.Value)
            .ToDictionary(g => g.Key, g => g.Single());

    /// <summary>
    /// The publish span in one trace, or null while the dashboard has none: how a link is followed
    /// however old it is, where the newest spans of an EventService hold only the last seconds.
    /// </summary>
    public static async Task<DashboardSpan?> PublishSpanInAsync(DashboardTelemetry dashboard, string traceId, CancellationToken cancellationToken) =>
        (await dashboard.TraceAsync(traceId, cancellationToken)).SingleOrDefault(s => s.Name == PublishSpan);

    /// <summary>The trace of each tick whose publish span the dashboard has; the others come back without one.</summary>
    public static async Task<IReadOnlyList<TickTrace>> FindAsync(DashboardTelemetry dashboard, IEnumerable<string> eventServices,
        IReadOnlyList<long> sequences, CancellationToken cancellationToken)
    {
        var publishes = await PublishSpansAsync(dashboard, eventServices, cancellationToken);
        var traces = new List<TickTrace>();
        foreach (var sequence in sequences)
        {
            traces.Add(publishes.TryGetValue(sequence, out var publish)
                ? new TickTrace(sequence, publish, await dashboard.TraceAsync(publish.TraceId, cancellationToken))
                : new TickTrace(sequence, null, []));
        }

        return traces;
    }

    public override string ToString() =>
        $"tick {Sequence}: {(Publish is null ? "no publish span" : $"trace {Publish.TraceId}, {Spans.Count} span(s), relays from {string.Join('/', Processes.Select(p => p.Sender.InstanceId).Order())}")}";
}
