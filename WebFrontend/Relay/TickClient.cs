using System.Threading.Channels;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// One connected SSE client: its own bounded queue of ready-to-write events, so a slow reader
/// only ever fills its own queue.
/// </summary>
public sealed class TickClient : IDisposable
{
    private readonly TickBroadcaster _owner;
    private readonly Channel<RelayItem> _queue;
    private readonly CancellationTokenSource _cut = new();

    internal TickClient(TickBroadcaster owner, int capacity, string? epoch, long sequence)
    {
        _owner = owner;
        StartEpoch = epoch;
        StartSequence = sequence;
        _queue = Channel.CreateBounded<RelayItem>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            // Ticks and heartbeats come from different threads.
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The epoch the replica was in when this client connected.</summary>
    public string? StartEpoch { get; }

    /// <summary>The last tick the replica had relayed when this client connected: live ticks follow it.</summary>
    public long StartSequence { get; }

    /// <summary>Events to write to this client, in order.</summary>
    public ChannelReader<RelayItem> Events => _queue.Reader;

    /// <summary>Cancelled when the client fell too far behind and must be disconnected.</summary>
    public CancellationToken Cut => _cut.Token;

    public bool WasCut => _cut.IsCancellationRequested;

    internal bool TryEnqueue(RelayItem item) => _queue.Writer.TryWrite(item);

    /// <summary>Ends the stream after what is queued (graceful: the client reconnects).</summary>
    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Drops the client at once: its queue is full.</summary>
    internal void Disconnect()
    {
        _queue.Writer.TryComplete();
        _cut.Cancel();
    }

    public void Dispose()
    {
        _owner.Remove(this);
        _queue.Writer.TryComplete();
        _cut.Dispose();
    }
}
