using AspireSse.ServiceDefaults;

namespace AspireSse.Telemetry.Tests.Otlp;

/// <summary>One tick's spans: the EventService's publish and each replica's live relay.</summary>
internal sealed record TickTrace(long Sequence, ReceivedSpan? Publish, IReadOnlyList<ReceivedSpan> Processes)
{
    public static TickTrace Find(OtlpReceiver receiver, long sequence)
    {
        var spans = receiver.Spans.Where(s => s.LongAttribute(SseTelemetry.SequenceTag) == sequence).ToList();
        return new TickTrace(
            sequence,
            spans.SingleOrDefault(s => s.Kind == ReceivedSpanKind.Producer),
            [.. spans.Where(s => s.Kind == ReceivedSpanKind.Consumer && s.StringAttribute(SseMetrics.RelaySourceTag) == "live")]);
    }
}
