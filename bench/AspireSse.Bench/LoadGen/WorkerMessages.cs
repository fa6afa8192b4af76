using System.Text.Json.Serialization;

namespace AspireSse.Bench.LoadGen;

/// <summary>What a load-generator process says about its connections at one moment.</summary>
/// <param name="Open">Connections whose stream is open now.</param>
/// <param name="Behind">Connections still open (or reconnecting) that have not yet received the tick asked about.</param>
/// <param name="Moved">Connections that had to reconnect at least once.</param>
/// <param name="LatestReturnMs">The longest any reconnect took beyond the <c>retry:</c> delay its client was told.</param>
/// <param name="ConnectRetries">Openings that failed before the stream opened and were tried again.</param>
/// <param name="CommonEnd">Why streams that had to reconnect last ended, the commonest reason first, with counts.</param>
public sealed record WorkerStatus(long Received, long Bytes, int Connections, int Open, int Behind, int Moved, int Reconnects,
    double LatestReturnMs, int ConnectRetries, string? CommonEnd = null);

/// <summary>A load-generator process's final account: deliveries and both latency histograms.</summary>
public sealed record WorkerReport(
    DeliveryReport Delivery,
    long[] LatencyCounts,
    long LatencyMax,
    long[] UnmovedLatencyCounts,
    long UnmovedLatencyMax);

/// <summary>A load-generator process's counts at both ends of a measurement window fixed in advance.</summary>
/// <param name="LateMs">How long after the window's start or end, whichever was later, the counts were taken.</param>
public sealed record WorkerWindow(long ReceivedAtStart, long BytesAtStart, long ReceivedAtEnd, long BytesAtEnd, double LateMs)
{
    public long Received => ReceivedAtEnd - ReceivedAtStart;

    public long Bytes => BytesAtEnd - BytesAtStart;
}

/// <summary>A load-generator process's clients at one instant of a timeline sampled by the clock.</summary>
/// <param name="Moved">Connections that had to reconnect at least once.</param>
public readonly record struct TimelinePoint(int Open, int Moved, long Received);

/// <summary>One reply line: ok with an optional payload, or the error that failed the command.</summary>
/// <param name="Counts">The process's running counts now (the <c>counts</c> command).</param>
public sealed record WorkerReply(bool Ok, string? Error = null, WorkerStatus? Status = null, WorkerReport? Report = null,
    WorkerWindow? Window = null, TimelinePoint[]? Timeline = null, TimelinePoint? Counts = null);

[JsonSerializable(typeof(WorkerReply))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class WorkerJsonContext : JsonSerializerContext;
