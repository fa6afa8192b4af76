namespace AspireSse.Contracts;

/// <summary>
/// One counter tick as it travels through Redis: on the pub/sub channel and in the history stream.
/// </summary>
/// <param name="Epoch">
/// Names one run of the numbering. It changes only when Redis lost its data and the count had to
/// start again at 1, so (epoch, sequence) never means two different ticks.
/// </param>
/// <param name="Sequence">1, 2, 3, … with no gaps within an epoch: consumers use it to detect loss and duplicates.</param>
/// <param name="PublishedAt">When the EventService published it; consumers measure latency from it.</param>
/// <param name="TraceParent">
/// W3C <c>traceparent</c> of the publish span. Redis pub/sub has no headers, so the trace context
/// rides inside the message.
/// </param>
/// <param name="TraceState">W3C <c>tracestate</c>, when the publisher has one.</param>
public sealed record Tick(
    string Epoch,
    long Sequence,
    DateTimeOffset PublishedAt,
    string? TraceParent = null,
    string? TraceState = null);
