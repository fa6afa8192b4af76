using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>
/// What one replica is doing right now: who it is, how many streams it serves, where the count
/// stands, how many writes its live events took (events per write above 1 means batching), and
/// how many streams were opened on each path (see <see cref="TickStreamPath"/>), and how many
/// resumes were replayed from memory alone or read the history stream in Redis.
/// </summary>
public sealed record TickStreamStats(string Replica, int Clients, string? Epoch, long LastSequence, long Writes, long EventsWritten,
    StreamsOpenedCount Opened, ReplaysCount Replays);
