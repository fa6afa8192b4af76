namespace AspireSse.Bench.SignalRHub;

/// <summary>
/// The broadcast argument: the same fields, in the same JSON shape, as the WebFrontend's
/// <c>tick</c> event data, so every system in the benchmark sends an event of the same size.
/// </summary>
public sealed record HubTick(string Epoch, long Sequence, DateTimeOffset PublishedAt, string Replica, bool Replayed);
