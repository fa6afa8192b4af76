namespace AspireSse.Telemetry.Tests.Otlp;

/// <summary>Which process sent something: OpenTelemetry's <c>service.name</c> and <c>service.instance.id</c>.</summary>
public sealed record Sender(string ServiceName, string InstanceId)
{
    public override string ToString() => $"{ServiceName}/{InstanceId}";
}

public enum ReceivedSpanKind
{
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

/// <summary>One exported span, flattened; ids are lower-case hex as in a <c>traceparent</c>.</summary>
public sealed record ReceivedSpan(
    Sender Sender,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    ReceivedSpanKind Kind,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    public long? LongAttribute(string key) => Attributes.GetValueOrDefault(key) as long?;

    public string? StringAttribute(string key) => Attributes.GetValueOrDefault(key) as string;
}

/// <summary>
/// The latest value of one metric stream (one sender, instrument and attribute set). The services
/// export cumulative values, so the latest point is the running total.
/// </summary>
public sealed record MetricPoint(
    Sender Sender,
    string Name,
    string Unit,
    IReadOnlyDictionary<string, object?> Attributes,
    double Value,
    ulong Count = 0,
    double? Max = null);
