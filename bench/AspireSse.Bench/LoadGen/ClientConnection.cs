using System.Net.Sockets;
using AspireSse.TestSupport;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// One client of the system under test: connects, then reads until closed, counting every tick.
/// Its counters are written only by its own read loop and read by others while it runs; what counts
/// as lost, duplicated or reordered is <see cref="TickDeliveryCheck"/>'s rule, the tests' own.
/// </summary>
public abstract class ClientConnection : IDisposable
{
    /// <summary>
    /// Big enough for a burst of several events per read; small enough to keep one per client at the
    /// largest client count.
    /// </summary>
    protected const int BufferSize = 4096;

    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConnectionTally _tally;
    private readonly LatencyHistogram _latency;
    private readonly LatencyHistogram? _unmovedLatency;
    // Ticks are expected from sequence 1.
    private TickDeliveryCheck _delivery = new(startsAfter: 0);
    private long _bytes;
    private long _malformed;
    private volatile bool _closing;
    private volatile bool _open;
    private int _reconnects;
    private int _connectRetries;
    private long _endedAt;
    private TimeSpan _toldRetry;
    private long _latestReturnTicks;

    /// <param name="unmovedLatency">Also records the latency of this connection's ticks for as long as it has not had to reconnect.</param>
    /// <param name="tally">The load process's running counts, which this connection keeps up to date.</param>
    protected ClientConnection(LoadTarget target, ConnectionTally tally, LatencyHistogram latency, LatencyHistogram? unmovedLatency = null)
    {
        Target = target;
        _tally = tally;
        _latency = latency;
        _unmovedLatency = unmovedLatency;
    }

    public LoadTarget Target { get; }

    /// <summary>Whether the stream is open now (between its opening and its end).</summary>
    public bool IsOpen => _open;

    /// <summary>
    /// Stream opening attempts that failed before the stream opened and were tried again (at most
    /// <see cref="ConnectAttempts"/> in all), as EventSource tries again: while 100 000 clients connect
    /// on two cores, a few handshakes fail on either side.
    /// </summary>
    public int ConnectRetries => Volatile.Read(ref _connectRetries);

    private const int ConnectAttempts = 3;

    /// <summary>Times the stream ended and was opened again (only with <see cref="LoadTarget.Reconnect"/>).</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>
    /// The longest a reconnect took beyond the <c>retry:</c> delay the client was told: from the
    /// stream's end to the new one's opening, minus that delay (connect, queueing, admission). A
    /// return still under way counts for as long as it has taken so far.
    /// </summary>
    public TimeSpan LatestReturn
    {
        get
        {
            var returned = TimeSpan.FromTicks(Volatile.Read(ref _latestReturnTicks));
            var endedAt = Volatile.Read(ref _endedAt);
            if (_open || endedAt == 0 || _closing)
            {
                return returned;
            }

            var pending = System.Diagnostics.Stopwatch.GetElapsedTime(endedAt) - _toldRetry;
            return pending > returned ? pending : returned;
        }
    }

    /// <summary>The last event id received, sent back as <c>Last-Event-ID</c> on a reconnect, as a browser does.</summary>
    protected string? LastEventId { get; set; }

    /// <summary>The reconnect delay the server asked for (<c>retry:</c>), or the EventSource default.</summary>
    protected TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Completes when the server has accepted the stream (SSE headers, or the SignalR handshake).</summary>
    public Task Opened => _opened.Task;

    /// <summary>
    /// What this connection received so far. A copy of the read loop's check: each of its counts
    /// is a 64-bit field, read whole, though not all from the same instant.
    /// </summary>
    public TickDeliveryCheck Delivery => _delivery;

    /// <summary>Ticks received.</summary>
    public long Received => Delivery.Received;

    /// <summary>The highest tick sequence received.</summary>
    public long LastSequence => Delivery.Highest;

    /// <summary>Bytes of the response body read (for SSE as <see cref="HttpClient"/> hands them over, chunk framing removed).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Events that carried no readable tick.</summary>
    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>Why the stream last ended, or its last reopening failed (null while it never has).</summary>
    public string? LastEnd { get; private set; }

    /// <summary>Why the connection ended while it was wanted, or null.</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// Connects and reads until the server closes or <see cref="Dispose"/> is called; with
    /// <see cref="LoadTarget.Reconnect"/>, a stream that ends is opened again after the server's
    /// <c>retry:</c> delay, as EventSource does, for as long as the connection is wanted.
    /// </summary>
    public async Task RunAsync(CancellationToken connectCancellation)
    {
        while (true)
        {
            string? ended = null;
            try
            {
                await ReadAsync(_opened.Task.IsCompleted ? CancellationToken.None : connectCancellation);
                ended = "closed by the server";
            }
            catch (Exception ex)
            {
                // Whatever ends one connection is that connection's result, reported with the rest;
                // it must not take the others down with it.
                ended = Reason(ex);
            }
            finally
            {
                if (_open)
                {
                    _open = false;
                    _tally.Ended();
                }
            }

            LastEnd = ended;

            if (!_closing && !_opened.Task.IsCompleted && _connectRetries < ConnectAttempts - 1)
            {
                Interlocked.Increment(ref _connectRetries);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                continue;
            }

            if (_closing || !Target.Reconnect || !_opened.Task.IsCompletedSuccessfully)
            {
                Error = _closing ? null : ended;
                _opened.TrySetException(new IOException($"{Target.Url}: {Error ?? "closed before it opened"}"));
                return;
            }

            if (Interlocked.Increment(ref _reconnects) == 1)
            {
                _tally.MovedOnce();
            }

            _toldRetry = RetryDelay;
            Volatile.Write(ref _endedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            await Task.Delay(RetryDelay, CancellationToken.None);
            if (_closing)
            {
                return;
            }
        }
    }

    /// <summary>
    /// What ended a stream, down to its innermost cause: HttpClient's own message ("An error occurred
    /// while sending the request") is the same for a refused connect, a reset and a timeout.
    /// </summary>
    private static string Reason(Exception ex)
    {
        var expected = ex is IOException or SocketException or HttpRequestException or InvalidDataException or OperationCanceledException;
        var reason = expected ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
        if (ex is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http)
        {
            reason += $" [{http.HttpRequestError}]";
        }

        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            reason += inner is SocketException socket ? $" ← {socket.SocketErrorCode}" : $" ← {inner.Message}";
        }

        return reason;
    }

    /// <summary>Connects, sends the request, waits for the stream to open, then reads it to the end.</summary>
    protected abstract Task ReadAsync(CancellationToken connectCancellation);

    protected void MarkOpened()
    {
        if (_endedAt != 0)
        {
            var late = System.Diagnostics.Stopwatch.GetElapsedTime(_endedAt) - _toldRetry;
            if (late.Ticks > _latestReturnTicks)
            {
                Volatile.Write(ref _latestReturnTicks, late.Ticks);
            }
        }

        _open = true;
        _tally.Opened();
        _opened.TrySetResult();
    }

    protected void CountBytes(int count) => Volatile.Write(ref _bytes, _bytes + count);

    protected void CountMalformed() => Volatile.Write(ref _malformed, _malformed + 1);

    /// <summary>Reads a tick out of an event's JSON and accounts for it.</summary>
    protected void OnTickJson(ReadOnlySpan<byte> json, long receivedAtTicks)
    {
        if (!TickPayload.TryRead(json, out var sequence, out var publishedAt))
        {
            CountMalformed();
            return;
        }

        var latency = (receivedAtTicks - publishedAt.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        _latency.Record(latency);
        if (_reconnects == 0)
        {
            _unmovedLatency?.Record(latency);
        }

        _delivery.Observe(sequence);
        _tally.Tick();
    }

    public void Dispose()
    {
        _closing = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Closes the connection, which ends the pending read: reads take no cancellation token,
    /// because registering one per read would cost an allocation per event.
    /// </summary>
    protected abstract void Dispose(bool disposing);
}
