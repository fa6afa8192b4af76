using System.Net.ServerSentEvents;
using System.Threading.Channels;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// One connected SSE client: its own bounded queue of ready-to-write events, so a slow reader
/// only ever fills its own queue.
/// </summary>
public sealed class TickClient : IDisposable
{
    private readonly TickBroadcaster _owner;
    private readonly Channel<SseItem<string>> _queue;
    private readonly CancellationTokenSource _cut = new();

    internal TickClient(TickBroadcaster owner, int capacity)
    {
        _owner = owner;
        _queue = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            // Ticks and heartbeats come from different threads.
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Events to write to this client, in order.</summary>
    public ChannelReader<SseItem<string>> Events => _queue.Reader;

    /// <summary>Cancelled when the client fell too far behind and must be disconnected.</summary>
    public CancellationToken Cut => _cut.Token;

    public bool WasCut => _cut.IsCancellationRequested;

    internal bool TryEnqueue(SseItem<string> item) => _queue.Writer.TryWrite(item);

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
