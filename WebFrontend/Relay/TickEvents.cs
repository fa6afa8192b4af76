using AspireSse.Contracts;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Builds every event a stream carries — <c>hello</c>, <c>tick</c>, <c>heartbeat</c>, <c>reset</c>,
/// <c>drain</c> — encoded once (<see cref="SseFrame"/>) for every client it goes to. The broadcaster
/// and the writer both take their events from here.
/// </summary>
public sealed class TickEvents(ReplicaIdentity replica, IOptions<TickStreamOptions> options)
{
    public const string HelloEvent = "hello";
    public const string TickEvent = "tick";
    public const string HeartbeatEvent = "heartbeat";
    public const string ResetEvent = "reset";
    public const string DrainEvent = "drain";

    private const int HelloVariants = 16;

    private readonly Lock _hellosLock = new();
    private readonly RelayItem?[] _hellos = new RelayItem?[HelloVariants];
    private TickPosition? _hellosPosition;

    /// <summary>
    /// The first event of a stream that starts after <paramref name="position"/>, with a jittered
    /// <c>retry:</c> so a replica's clients do not reconnect in lockstep.
    /// </summary>
    /// <remarks>
    /// The jitter takes one of a few steps, and each step's hello is encoded once per position and
    /// shared rather than once per client: encoding each left garbage behind every connect, and that
    /// garbage counts in idle memory per connection until the next GC (see the README's Benchmark section).
    /// </remarks>
    public RelayItem Hello(TickPosition position)
    {
        var step = Random.Shared.Next(HelloVariants);
        lock (_hellosLock)
        {
            if (_hellosPosition != position)
            {
                Array.Clear(_hellos);
                _hellosPosition = position;
            }

            return _hellos[step] ??= new RelayItem(
                SseFrame.Encode(HelloEvent, new Hello(replica.Id, position.Epoch, position.Sequence), RelayJsonContext.Default.Hello,
                    retry: options.Value.ReconnectDelay * (1 + (double)step / HelloVariants)),
                RelayItemKind.Hello, position.Epoch, position.Sequence);
        }
    }

    /// <summary>A <c>tick</c>, as live relaying and replay both write it.</summary>
    public RelayItem Tick(Tick tick, bool replayed)
    {
        var frame = SseFrame.Encode(TickEvent, new RelayedTick(tick.Epoch, tick.Sequence, tick.PublishedAt, replica.Id, replayed),
            RelayJsonContext.Default.RelayedTick, id: new TickId(tick.Epoch, tick.Sequence).ToString());
        return new RelayItem(frame, RelayItemKind.Tick, tick.Epoch, tick.Sequence, tick.PublishedAt);
    }

    /// <summary>A <c>heartbeat</c>: no id, so it never moves the browser's <c>Last-Event-ID</c> off the last tick.</summary>
    public RelayItem Heartbeat(long sequence) =>
        new(SseFrame.Encode(HeartbeatEvent, new Heartbeat(replica.Id, sequence), RelayJsonContext.Default.Heartbeat), RelayItemKind.Heartbeat);

    /// <summary>A <c>reset</c>: the stream continues from <paramref name="oldest"/> in <paramref name="epoch"/>.</summary>
    public RelayItem Reset(string epoch, long oldest, long current, string reason)
    {
        // The id moves the browser's Last-Event-ID into the new position, so a reconnect right after
        // the reset resumes from here rather than asking for the old position again.
        var frame = SseFrame.Encode(ResetEvent, new Reset(epoch, oldest, current, reason), RelayJsonContext.Default.Reset,
            id: new TickId(epoch, oldest - 1).ToString());
        return new RelayItem(frame, RelayItemKind.Reset, epoch, oldest - 1);
    }

    /// <summary>A <c>drain</c>: reconnect soon, after a jittered delay.</summary>
    public RelayItem Drain()
    {
        var retry = options.Value.JitteredReconnectDelay();
        var frame = SseFrame.Encode(DrainEvent, new Drain(replica.Id, (long)retry.TotalMilliseconds), RelayJsonContext.Default.Drain,
            retry: retry);
        return new RelayItem(frame, RelayItemKind.Drain);
    }
}
