using System.Threading.Tasks.Sources;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// One connected SSE client: where its stream stands, and a bounded queue of ready-to-write events,
/// so a slow reader only ever fills its own queue.
/// </summary>
/// <remarks>
/// A replica holds one of these per open stream, for hours, and touches all of them for every tick,
/// so it is kept small and cheap: the queue holds references to the shared <see cref="RelayItem"/>,
/// and the writer's wait reuses one awaitable instead of allocating per event (see
/// <see cref="WaitToReadAsync"/>). Replacing a <c>Channel&lt;T&gt;</c> per client with this
/// lowered the server CPU per delivered event (see the README's Benchmark section).
/// </remarks>
public sealed class TickClient : IValueTaskSource<bool>
{
    private readonly int _capacity;
    // What a cut does to the connection. A callback rather than a CancellationTokenSource: every
    // open stream holds one, and a registered token source would add to every idle stream's memory.
    private Action<object?>? _onCut;
    private object? _onCutState;
    private bool _wasCut;
    private readonly Lock _lock = new();
    private Queue<RelayItem>? _queue;
    private ManualResetValueTaskSourceCore<bool> _wait = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    // What the stream has had so far.
    private TickPosition _position;
    private bool _completed;

    internal TickClient(int capacity, TickPosition start)
    {
        _capacity = capacity;
        Start = start;
        _position = start;
    }

    /// <summary>The last tick the replica had relayed when this client connected: live ticks follow it.</summary>
    public TickPosition Start { get; }

    /// <summary>The epoch the replica was in when this client connected.</summary>
    public string? StartEpoch => Start.Epoch;

    /// <summary>The sequence of <see cref="Start"/>.</summary>
    public long StartSequence => Start.Sequence;

    /// <summary>True once the client fell too far behind and was disconnected.</summary>
    public bool WasCut
    {
        get
        {
            lock (_lock)
            {
                return _wasCut;
            }
        }
    }

    /// <summary>
    /// Sets what drops this client's connection when it falls too far behind (at once, if it
    /// already has). Its queue is then full and its socket may be stalled: only aborting the
    /// connection frees what the server holds for it.
    /// </summary>
    public void OnCut(Action<object?> abort, object? state)
    {
        lock (_lock)
        {
            if (!_wasCut)
            {
                (_onCut, _onCutState) = (abort, state);
                return;
            }
        }

        abort(state);
    }

    /// <summary>Events waiting to be written.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_lock)
            {
                return _queue?.Count ?? 0;
            }
        }
    }

    /// <summary>True once the stream has ended and everything queued has been taken.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_lock)
            {
                return _completed && _queue is not { Count: > 0 };
            }
        }
    }

    /// <summary>
    /// Moves the client's position, after a replay wrote ticks up to <paramref name="cursor"/>:
    /// queued ticks at or below it are not written again.
    /// </summary>
    public void MoveTo(string? epoch, long cursor)
    {
        lock (_lock)
        {
            _position = new TickPosition(epoch, cursor);
        }
    }

    /// <summary>
    /// Completes when there is something to write (true) or the stream has ended (false). One
    /// writer only; the cancellation is observed by the caller (see <c>TickStreamResult</c>), which
    /// ends the stream through <see cref="Complete"/>.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 })
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _wait.Reset();
            _waiting = true;
            return new ValueTask<bool>(this, _wait.Version);
        }
    }

    /// <summary>Takes the next event to write, skipping ticks the client already has.</summary>
    public bool TryRead(out RelayItem item)
    {
        lock (_lock)
        {
            return TryDequeueAdmitted(out item);
        }
    }

    /// <summary>Takes every queued event the client does not have yet, in order.</summary>
    public void TakeAll(List<RelayItem> batch)
    {
        lock (_lock)
        {
            while (TryDequeueAdmitted(out var item))
            {
                batch.Add(item);
            }
        }
    }

    /// <summary>
    /// Hands the client an event. False means its queue is full: it cannot keep up and must be cut.
    /// Without <paramref name="wake"/> the writer sees it at the next <see cref="Flush"/>.
    /// </summary>
    internal bool TryEnqueue(RelayItem item, bool wake = true)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return true;
            }

            _queue ??= new Queue<RelayItem>();
            if (_queue.Count >= _capacity)
            {
                return false;
            }

            _queue.Enqueue(item);
            if (wake)
            {
                Wake(true);
            }

            return true;
        }
    }

    /// <summary>Wakes the writer if events are waiting (see <see cref="TickBroadcaster.WritersWaitForFlush"/>).</summary>
    internal void Flush()
    {
        lock (_lock)
        {
            if (_queue is { Count: > 0 })
            {
                Wake(true);
            }
        }
    }

    /// <summary>Ends the stream after what is queued (graceful: the client reconnects).</summary>
    internal void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            Wake(_queue is { Count: > 0 });
        }
    }

    /// <summary>Drops the client at once: its queue is full.</summary>
    internal void Disconnect()
    {
        Action<object?>? abort;
        object? state;
        lock (_lock)
        {
            _completed = true;
            Wake(_queue is { Count: > 0 });
            _wasCut = true;
            (abort, state) = (_onCut, _onCutState);
            (_onCut, _onCutState) = (null, null);
        }

        abort?.Invoke(state);
    }

    /// <summary>The stream is over (<see cref="TickBroadcaster.Leave"/>): nothing is cut on its behalf any more.</summary>
    internal void Release()
    {
        Complete();
        lock (_lock)
        {
            (_onCut, _onCutState) = (null, null);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _wait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _wait.OnCompleted(continuation, state, token, flags);

    // Called with the lock held.
    private void Wake(bool result)
    {
        if (_waiting)
        {
            _waiting = false;
            _wait.SetResult(result);
        }
    }

    // Called with the lock held.
    private bool TryDequeueAdmitted(out RelayItem item)
    {
        while (_queue is not null && _queue.TryDequeue(out var next))
        {
            if (Admit(next))
            {
                item = next;
                return true;
            }
        }

        item = null!;
        return false;
    }

    // Called with the lock held: decides whether an event goes to this client, and keeps its place.
    private bool Admit(RelayItem item)
    {
        switch (item.Kind)
        {
            case RelayItemKind.Tick:
                // A replica that started on an empty Redis learns the epoch from its first tick.
                if (!_position.Wants(item.Epoch!, item.Sequence))
                {
                    return false;
                }

                _position = new TickPosition(item.Epoch, item.Sequence);
                return true;
            case RelayItemKind.Reset:
                _position = new TickPosition(item.Epoch, item.Sequence);
                return true;
            default:
                return true;
        }
    }
}
