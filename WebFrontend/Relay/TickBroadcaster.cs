using System.Globalization;
using AspireSse.Contracts;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Fans each tick out to every connected client of this process. Each tick is serialized once
/// here, not once per client, and handed to every client's queue without waiting on any of them.
/// </summary>
/// <remarks>
/// Ticks must arrive in order (the <see cref="TickSubscriber"/> guarantees it); anything at or
/// below the last relayed sequence is dropped as a duplicate.
/// </remarks>
public sealed partial class TickBroadcaster(
    ReplicaIdentity replica,
    IOptions<TickStreamOptions> options,
    RelayMetrics metrics,
    ILogger<TickBroadcaster> logger)
{
    public const string HelloEvent = "hello";
    public const string TickEvent = "tick";
    public const string HeartbeatEvent = "heartbeat";
    public const string ResetEvent = "reset";
    public const string DrainEvent = "drain";

    private const int HelloVariants = 16;

    // One lock orders connects against publishes, so a client's hello names exactly the sequence
    // after which its live ticks begin.
    private readonly Lock _gate = new();
    private readonly HashSet<TickClient> _clients = [];
    private readonly TaskCompletionSource _noClientsWhileDraining = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TickClient[] _snapshot = [];
    private bool _snapshotStale;
    private string? _epoch;
    private long _lastSequence;
    private bool _draining;
    private bool _stopping;
    private readonly RelayItem?[] _hellos = new RelayItem?[HelloVariants];
    private string? _hellosEpoch;
    private long _hellosSequence = -1;
    private bool _writersWaitForFlush;

    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _lastSequence;
            }
        }
    }

    public string? Epoch
    {
        get
        {
            lock (_gate)
            {
                return _epoch;
            }
        }
    }

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
            var client = new TickClient(this, options.Value.ClientQueueCapacity, _epoch, _lastSequence);
            client.TryEnqueue(HelloItem());

            if (_draining)
            {
                client.TryEnqueue(DrainItem());
                client.Complete();
                return client;
            }

            _clients.Add(client);
            _snapshotStale = true;
            metrics.ClientConnected();
            return client;
        }
    }

    // Called with the gate held. Every client gets a jittered retry, so a replica's clients do not
    // reconnect in lockstep; the jitter takes one of HelloVariants steps, and each step's hello is
    // encoded once per position and shared, rather than once per client: encoding each left garbage
    // behind every connect, and that garbage counts in idle memory per connection until the next GC
    // (see the README's Benchmark section).
    private RelayItem HelloItem()
    {
        if (_hellosEpoch != _epoch || _hellosSequence != _lastSequence)
        {
            Array.Clear(_hellos);
            (_hellosEpoch, _hellosSequence) = (_epoch, _lastSequence);
        }

        var step = Random.Shared.Next(HelloVariants);
        return _hellos[step] ??= new RelayItem(
            SseFrame.Encode(HelloEvent, new Hello(replica.Id, _epoch, _lastSequence), RelayJsonContext.Default.Hello,
                retry: options.Value.ReconnectDelay * (1 + (double)step / HelloVariants)),
            RelayItemKind.Hello, _epoch, _lastSequence);
    }

    internal void Remove(TickClient client)
    {
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
            _epoch = epoch;
            _lastSequence = lastSequence;
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
            var previous = _epoch;
            _epoch = epoch;
            _lastSequence = lastSequence;
            if (previous is not null && previous != epoch)
            {
                LogNewEpoch(previous, epoch);
                EnqueueToAll(ResetItem(epoch, lastSequence + 1, lastSequence, "epoch"));
            }
        }
    }

    /// <summary>Relays a tick to every client. Ticks at or below the last relayed sequence are dropped.</summary>
    /// <returns>How many clients it was queued for.</returns>
    public int Publish(Tick tick)
    {
        var item = TickItem(tick, replayed: false);
        lock (_gate)
        {
            if (tick.Epoch != _epoch || tick.Sequence <= _lastSequence)
            {
                LogDroppedStale(tick.Epoch, tick.Sequence, _lastSequence);
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
            var heartbeat = SseFrame.Encode(HeartbeatEvent, new Heartbeat(replica.Id, _lastSequence), RelayJsonContext.Default.Heartbeat);
            EnqueueToAll(new RelayItem(heartbeat, RelayItemKind.Heartbeat));
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
                client.TryEnqueue(DrainItem());
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

    /// <summary>The <c>tick</c> event for a tick, as live relaying and replay both write it.</summary>
    public RelayItem TickItem(Tick tick, bool replayed)
    {
        var frame = SseFrame.Encode(TickEvent, new RelayedTick(tick.Epoch, tick.Sequence, tick.PublishedAt, replica.Id, replayed),
            RelayJsonContext.Default.RelayedTick, id: new TickId(tick.Epoch, tick.Sequence).ToString());
        return new RelayItem(frame, RelayItemKind.Tick, tick.Epoch, tick.Sequence, tick.PublishedAt);
    }

    /// <summary>A <c>reset</c>: continue from <paramref name="oldest"/> in <paramref name="epoch"/>.</summary>
    public static RelayItem ResetItem(string epoch, long oldest, long current, string reason)
    {
        // The id moves the browser's Last-Event-ID into the new position, so a reconnect right after
        // the reset resumes from here rather than asking for the old position again.
        var frame = SseFrame.Encode(ResetEvent, new Reset(epoch, oldest, current, reason), RelayJsonContext.Default.Reset,
            id: new TickId(epoch, oldest - 1).ToString());
        return new RelayItem(frame, RelayItemKind.Reset, epoch, oldest - 1);
    }

    private RelayItem DrainItem()
    {
        var retry = options.Value.JitteredReconnectDelay();
        var frame = SseFrame.Encode(DrainEvent, new Drain(replica.Id, (long)retry.TotalMilliseconds), RelayJsonContext.Default.Drain,
            retry: retry);
        return new RelayItem(frame, RelayItemKind.Drain);
    }

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
