using System.Net.ServerSentEvents;
using System.Text.Json;
using AspireSse.ServiceDefaults.Ticks;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Fans each tick out to every connected client of this process. Each tick is serialized once
/// here, not once per client, and handed to every client's queue without waiting on any of them.
/// </summary>
public sealed partial class TickBroadcaster(
    ReplicaIdentity replica,
    IOptions<TickStreamOptions> options,
    ILogger<TickBroadcaster> logger)
{
    public const string HelloEvent = "hello";
    public const string TickEvent = "tick";
    public const string HeartbeatEvent = "heartbeat";

    // One lock orders connects against publishes, so a client's hello names exactly the sequence
    // after which its ticks begin.
    private readonly Lock _gate = new();
    private readonly HashSet<TickClient> _clients = [];
    private TickClient[] _snapshot = [];
    private bool _snapshotStale;
    private long _lastSequence;

    public long LastSequence => Volatile.Read(ref _lastSequence);

    public int ClientCount
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    /// <summary>Registers a client; its first queued event is the <c>hello</c>.</summary>
    public TickClient Connect()
    {
        var client = new TickClient(this, options.Value.ClientQueueCapacity);
        lock (_gate)
        {
            var hello = new Hello(replica.Id, _lastSequence);
            client.TryEnqueue(new SseItem<string>(
                JsonSerializer.Serialize(hello, RelayJsonContext.Default.Hello), HelloEvent));
            _clients.Add(client);
            _snapshotStale = true;
        }

        return client;
    }

    internal void Remove(TickClient client)
    {
        lock (_gate)
        {
            _snapshotStale |= _clients.Remove(client);
        }
    }

    /// <summary>Relays a tick to every client. Ticks at or below the last relayed sequence are dropped.</summary>
    /// <returns>How many clients it was queued for.</returns>
    public int Publish(Tick tick)
    {
        var data = JsonSerializer.Serialize(
            new RelayedTick(tick.Sequence, tick.PublishedAt, replica.Id), RelayJsonContext.Default.RelayedTick);
        var item = new SseItem<string>(data, TickEvent) { EventId = tick.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        lock (_gate)
        {
            if (tick.Sequence <= _lastSequence)
            {
                LogDroppedStale(tick.Sequence, _lastSequence);
                return 0;
            }

            _lastSequence = tick.Sequence;
            return EnqueueToAll(item);
        }
    }

    /// <summary>Queues a heartbeat for every client, so idle connections are not closed by proxies.</summary>
    public void Heartbeat()
    {
        lock (_gate)
        {
            var data = JsonSerializer.Serialize(new Heartbeat(replica.Id, _lastSequence), RelayJsonContext.Default.Heartbeat);
            EnqueueToAll(new SseItem<string>(data, HeartbeatEvent));
        }
    }

    private int EnqueueToAll(SseItem<string> item)
    {
        if (_snapshotStale)
        {
            _snapshot = [.. _clients];
            _snapshotStale = false;
        }

        var delivered = 0;
        List<TickClient>? slow = null;
        foreach (var client in _snapshot)
        {
            if (client.TryEnqueue(item))
            {
                delivered++;
            }
            else
            {
                (slow ??= []).Add(client);
            }
        }

        if (slow is not null)
        {
            foreach (var client in slow)
            {
                _snapshotStale |= _clients.Remove(client);
                client.Disconnect();
            }

            LogCutSlowClients(slow.Count, options.Value.ClientQueueCapacity);
        }

        return delivered;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped tick {Sequence}: already relayed up to {LastSequence}")]
    private partial void LogDroppedStale(long sequence, long lastSequence);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Disconnected {Count} slow client(s): their queue of {Capacity} events was full")]
    private partial void LogCutSlowClients(int count, int capacity);
}
