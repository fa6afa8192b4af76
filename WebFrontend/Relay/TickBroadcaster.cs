using System.Globalization;
using AspireSse.Contracts;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// This process's clients: the registry, the fan-out of each event to all of them, and the drain.
/// Each tick is encoded once (<see cref="TickEvents"/>), not once per client, and handed to every
/// client's queue without waiting on any of them.
/// </summary>
/// <remarks>
/// Ticks must arrive in order (the <see cref="TickSubscriber"/> sees to it); one the position
/// already has is dropped as a duplicate (<see cref="TickPosition"/>).
/// </remarks>
public sealed partial class TickBroadcaster(
    TickEvents events,
    RecentTicks recent,
    IOptions<TickStreamOptions> options,
    RelayMetrics metrics,
    ILogger<TickBroadcaster> logger)
{
    // One lock orders connects against publishes, so a client's hello names exactly the sequence
    // after which its live ticks begin.
    private readonly Lock _gate = new();
    private readonly HashSet<TickClient> _clients = [];
    private readonly TaskCompletionSource _noClientsWhileDraining = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TickClient[] _snapshot = [];
    private bool _snapshotStale;
    private TickPosition _position;
    private bool _draining;
    private bool _stopping;
    private bool _writersWaitForFlush;

    /// <summary>The last tick relayed: live ticks for a client connecting now start after it.</summary>
    public TickPosition Position
    {
        get
        {
            lock (_gate)
            {
                return _position;
            }
        }
    }

    public long LastSequence => Position.Sequence;

    public string? Epoch => Position.Epoch;

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

    public bool IsDraining
    {
        get
        {
            lock (_gate)
            {
                return _stopping || _draining;
            }
        }
    }

    /// <summary>Shutdown has begun: report unready, but keep streaming until <see cref="Drain"/>.</summary>
    public void BeginDrain()
    {
        lock (_gate)
        {
            _stopping = true;
        }
    }

    /// <summary>Registers a client; its first queued event is the <c>hello</c>.</summary>
    public TickClient Connect()
    {
        lock (_gate)
        {
            var client = new TickClient(options.Value.ClientQueueCapacity, _position);
            client.TryEnqueue(events.Hello(_position));

            if (_draining)
            {
                client.TryEnqueue(events.Drain());
                client.Complete();
                return client;
            }

            _clients.Add(client);
            _snapshotStale = true;
            metrics.ClientConnected();
            return client;
        }
    }

    /// <summary>The client's stream is over: it leaves the registry and gets nothing more.</summary>
    public void Leave(TickClient client)
    {
        client.Release();
        lock (_gate)
        {
            if (_clients.Remove(client))
            {
                _snapshotStale = true;
                metrics.ClientsDisconnected(1);
            }

            if (_draining && _clients.Count == 0)
            {
                _noClientsWhileDraining.TrySetResult();
            }
        }
    }

    /// <summary>Sets where the numbering stands when this replica starts relaying; tells nobody.</summary>
    public void Initialize(string epoch, long lastSequence)
    {
        lock (_gate)
        {
            _position = new TickPosition(epoch, lastSequence);
            recent.Clear();
        }
    }

    /// <summary>
    /// The numbering restarted in a new epoch (Redis lost its data): every client gets a
    /// <c>reset</c>, and relaying continues after <paramref name="lastSequence"/> of the new epoch.
    /// </summary>
    public void StartEpoch(string epoch, long lastSequence)
    {
        lock (_gate)
        {
            var previous = _position.Epoch;
            _position = new TickPosition(epoch, lastSequence);
            recent.Clear();
            if (previous is not null && previous != epoch)
            {
                LogNewEpoch(previous, epoch);
                EnqueueToAll(events.Reset(epoch, lastSequence + 1, lastSequence, "epoch"));
            }
        }
    }

    /// <summary>Relays a tick to every client, unless the position already has it or it is of another epoch.</summary>
    /// <returns>How many clients it was queued for.</returns>
    public int Publish(Tick tick)
    {
        var item = events.Tick(tick, replayed: false);
        lock (_gate)
        {
            if (!_position.Wants(tick.Epoch, tick.Sequence))
            {
                LogDroppedStale(tick.Epoch, tick.Sequence, _position.Sequence);
                return 0;
            }

            _position = new TickPosition(tick.Epoch, tick.Sequence);
            // Under the gate, so a client connecting now finds every tick up to its start in the window.
            recent.Add(tick);
            return EnqueueToAll(item);
        }
    }

    /// <summary>Queues a heartbeat for every client, so idle connections are not closed by proxies.</summary>
    public void Heartbeat()
    {
        lock (_gate)
        {
            EnqueueToAll(events.Heartbeat(_position.Sequence));
        }
    }

    /// <summary>
    /// Shutdown: tells every client to reconnect soon (a short, jittered <c>retry:</c>) and ends its
    /// stream after what is already queued, so it resumes on another replica without a gap.
    /// </summary>
    public void Drain()
    {
        lock (_gate)
        {
            _draining = true;
            foreach (var client in _clients)
            {
                client.TryEnqueue(events.Drain());
                client.Complete();
            }

            if (_clients.Count == 0)
            {
                _noClientsWhileDraining.TrySetResult();
            }
        }
    }

    /// <summary>
    /// When set, live events are queued without waking the writers, and wait for <see cref="Flush"/>
    /// (the fast path's <c>FlushWorker</c> sets it, with <c>FastPath:FlushInterval</c>).
    /// </summary>
    public bool WritersWaitForFlush
    {
        get => Volatile.Read(ref _writersWaitForFlush);
        set => Volatile.Write(ref _writersWaitForFlush, value);
    }

    /// <summary>Wakes every writer that has events queued (see <see cref="WritersWaitForFlush"/>).</summary>
    public void Flush()
    {
        TickClient[] clients;
        lock (_gate)
        {
            clients = Snapshot();
        }

        foreach (var client in clients)
        {
            client.Flush();
        }
    }

    /// <summary>Completes when every client has gone after <see cref="Drain"/>.</summary>
    public Task WaitForClientsToLeaveAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _noClientsWhileDraining.Task.WaitAsync(timeout, cancellationToken);

    // Only queues: each client's writer sends. Sending from here instead (one send per client on this
    // thread) was measured and dropped: on one thread or split over the cores it cost more CPU per
    // delivery than queueing, and split it added seconds of latency, because a fan-out that falls
    // behind then never batches; queued writers send a backlog in one write (see the README's
    // Benchmark section).
    private int EnqueueToAll(RelayItem item)
    {
        var delivered = 0;
        var wake = !WritersWaitForFlush;
        List<TickClient>? slow = null;
        foreach (var client in Snapshot())
        {
            if (client.TryEnqueue(item, wake))
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
            var removed = 0;
            foreach (var client in slow)
            {
                removed += _clients.Remove(client) ? 1 : 0;
                client.Disconnect();
            }

            _snapshotStale |= removed > 0;
            metrics.ClientsDisconnected(removed);
            metrics.SlowClientsCut(slow.Count);
            LogCutSlowClients(slow.Count, options.Value.ClientQueueCapacity);
        }

        return delivered;
    }

    // Called with the gate held: the clients as an array, rebuilt only after one came or went, so a
    // tick's fan-out does not copy the set.
    private TickClient[] Snapshot()
    {
        if (_snapshotStale)
        {
            _snapshot = [.. _clients];
            _snapshotStale = false;
        }

        return _snapshot;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped tick {Epoch}-{Sequence}: already relayed up to {LastSequence}")]
    private partial void LogDroppedStale(string epoch, long sequence, long lastSequence);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Disconnected {Count} slow client(s): their queue of {Capacity} events was full. They resume from their Last-Event-ID.")]
    private partial void LogCutSlowClients(int count, int capacity);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The tick numbering restarted (epoch {Previous} -> {Epoch}): Redis lost its data. Sending every client a reset.")]
    private partial void LogNewEpoch(string previous, string epoch);
}
