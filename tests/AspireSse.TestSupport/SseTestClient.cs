using System.Net.ServerSentEvents;
using System.Net.Sockets;

namespace AspireSse.TestSupport;

/// <summary>
/// The tests' SSE client: reads a stream in the background with <see cref="SseParser"/>, records
/// every event, and lets a test wait — always with a timeout — for what it expects to see.
/// <see cref="ConnectAsync"/> reads one stream, to its end. <see cref="StartLikeABrowser"/>
/// behaves like a browser's EventSource: it reconnects when the stream ends or breaks, waits the
/// server's <c>retry:</c> delay first, and sends <c>Last-Event-ID</c>. Unlike a browser it also
/// retries after an error status, as the page's own script does, waiting the <c>Retry-After</c>
/// of a full replica's <c>503</c>.
/// </summary>
public sealed class SseTestClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _url;
    private readonly bool _reconnects;
    private readonly List<SseEvent> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;
    private HttpResponseMessage? _response;
    private TimeSpan _retry = TimeSpan.FromSeconds(1);
    private Exception? _failure;
    private bool _ended;
    private int _connections;
    private int _failedAttempts;
    private int _refusals;
    private int _disposed;
    private string _doing = "starting";

    private SseTestClient(HttpClient http, bool ownsHttp, Uri url, bool reconnects, string? lastEventId)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        _url = url;
        _reconnects = reconnects;
        LastEventId = lastEventId;
    }

    /// <summary>
    /// Opens one stream (throwing if the server answers with an error status) and reads it in the
    /// background until the server ends it or the client is disposed; it does not reconnect.
    /// </summary>
    public static async Task<SseTestClient> ConnectAsync(HttpClient http, Uri url, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var client = new SseTestClient(http, ownsHttp: false, url, reconnects: false, lastEventId);
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, client._stop.Token);
        var response = await client.SendAsync(opening.Token);
        try
        {
            response.EnsureSuccessStatusCode();
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            client.Opened(response);
            client._reader = Task.Run(() => client.ReadOneAsync(stream), CancellationToken.None);
            return client;
        }
        catch
        {
            response.Dispose();
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts a client that keeps a stream open as a browser would, on a connection of its own.
    /// </summary>
    /// <param name="receiveBufferBytes">A small receive window makes a paused reader look stalled to the server quickly.</param>
    public static SseTestClient StartLikeABrowser(Uri url, int? receiveBufferBytes = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero };
        if (receiveBufferBytes is { } size)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = size };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        var client = new SseTestClient(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, ownsHttp: true, url,
            reconnects: true, lastEventId: null);
        client._reader = Task.Run(client.ReconnectingAsync, CancellationToken.None);
        return client;
    }

    /// <summary>The response of the stream open now (or last).</summary>
    public HttpResponseMessage Response => Volatile.Read(ref _response) ?? throw new InvalidOperationException("No stream has opened yet.");

    /// <summary>Every event received, over every connection, in order.</summary>
    public IReadOnlyList<SseEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<SseEvent> Ticks => [.. Events.Where(e => e.Type == "tick")];

    /// <summary>The sequence of the last tick received, 0 before the first.</summary>
    public long LastSequence => Ticks is [.., var last] ? last.Sequence : 0;

    /// <summary>The id the next connection sends as <c>Last-Event-ID</c>.</summary>
    public string? LastEventId { get; private set; }

    /// <summary>How many <c>reset</c>s arrived.</summary>
    public int Resets => Events.Count(e => e.Type == "reset");

    /// <summary>How many streams opened.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>How many attempts to connect got an error status or no answer (a proxy in front of a dead replica).</summary>
    public int FailedAttempts => Volatile.Read(ref _failedAttempts);

    /// <summary>How many of those were a full replica's <c>503</c> with <c>Retry-After</c>.</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>The replica that served each stream, in order (from its <c>hello</c>).</summary>
    public IReadOnlyList<string> Replicas => [.. Events.Where(e => e.Type == "hello").Select(e => e.Replica ?? "")];

    /// <summary>True once the stream ended or broke, for a client that does not reconnect.</summary>
    public bool Ended
    {
        get
        {
            lock (_events)
            {
                return _ended;
            }
        }
    }

    /// <summary>Stops reading (as a frozen tab or a congested link would) until <see cref="ResumeReading"/>.</summary>
    public Task PauseReadingAsync() => _readGate.WaitAsync();

    public void ResumeReading() => _readGate.Release();

    /// <summary>Waits until <paramref name="condition"/> holds for the events seen so far.</summary>
    public async Task<IReadOnlyList<SseEvent>> WaitUntilAsync(
        Func<IReadOnlyList<SseEvent>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_events)
            {
                var snapshot = _events.ToList();
                if (condition(snapshot))
                {
                    return snapshot;
                }

                if (_ended)
                {
                    throw new InvalidOperationException(
                        $"The stream ended after {snapshot.Count} event(s) before the condition held.", _failure);
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Not seen within {timeout.TotalSeconds:F1} s. Events so far: {Describe(Events)}");
            }
        }
    }

    /// <summary>Waits for <paramref name="count"/> ticks.</summary>
    public Task<IReadOnlyList<SseEvent>> WaitForTicksAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(events => events.Count(e => e.Type == "tick") >= count, timeout, cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (LastEventId is { } id)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", id);
        }

        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private void Opened(HttpResponseMessage response)
    {
        Volatile.Write(ref _response, response);
        Interlocked.Increment(ref _connections);
    }

    private async Task ReadOneAsync(Stream stream)
    {
        try
        {
            await ReadAsync(stream);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            _failure = ex;
        }
        finally
        {
            lock (_events)
            {
                _ended = true;
            }

            Signal();
        }
    }

    private async Task ReconnectingAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TimeSpan? comeBackAfter = null;
            try
            {
                _doing = "waiting for response headers";
                using var response = await SendAsync(_stop.Token);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _failedAttempts);
                    if (response.Headers.RetryAfter?.Delta is { } retryAfter)
                    {
                        // A full replica says when to come back; coming back sooner only adds load.
                        Interlocked.Increment(ref _refusals);
                        comeBackAfter = retryAfter;
                    }
                }
                else
                {
                    await using var stream = await response.Content.ReadAsStreamAsync(_stop.Token);
                    Opened(response);
                    _doing = "reading a stream";
                    await ReadAsync(stream);
                }
            }
            catch (HttpRequestException)
            {
                // No answer at all: retry below, as the page's script does.
                Interlocked.Increment(ref _failedAttempts);
            }
            catch (Exception ex) when (ex is IOException || (ex is OperationCanceledException && !_stop.IsCancellationRequested))
            {
                // The connection broke: reconnect below, as EventSource does.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var delay = comeBackAfter ?? _retry;
            _doing = $"waiting {delay.TotalMilliseconds:F0} ms to reconnect";
            await Task.Delay(delay, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadAsync(Stream stream)
    {
        var parser = SseParser.Create(stream);
        await using var items = parser.EnumerateAsync(_stop.Token).GetAsyncEnumerator(_stop.Token);
        while (true)
        {
            await _readGate.WaitAsync(_stop.Token);
            _readGate.Release();
            if (!await items.MoveNextAsync())
            {
                return;
            }

            var item = items.Current;
            if (item.ReconnectionInterval is { } retry)
            {
                _retry = retry;
            }

            if (item.EventId is { Length: > 0 } eventId)
            {
                LastEventId = eventId;
            }

            lock (_events)
            {
                _events.Add(new SseEvent(item.EventType, item.EventId, item.Data, System.Diagnostics.Stopwatch.GetTimestamp()));
            }

            Signal();
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_events)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    /// <summary>What the client is doing and has met, for a test's failure message.</summary>
    public string Describe()
    {
        var events = Events;
        var quiet = events is [.., var last] ? $"{System.Diagnostics.Stopwatch.GetElapsedTime(last.ReceivedAt).TotalSeconds:F1} s ago" : "never";
        return $"{_doing}; {Connections} stream(s) from {string.Join('/', Replicas)}, {FailedAttempts} failed attempt(s) " +
            $"({Refusals} refused); last event {quiet}: {Describe(events)}";
    }

    private static string Describe(IReadOnlyList<SseEvent> events) =>
        events.Count == 0 ? "none" : string.Join(", ", events.TakeLast(10).Select(e => e.Id is null ? e.Type : $"{e.Type}#{e.Id}"));

    /// <summary>Closes the stream and stops reconnecting; safe to call again (a test may close a client its fixture also owns).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        if (!_reconnects)
        {
            _response?.Dispose();
        }

        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _stop.Dispose();
        _readGate.Dispose();
    }
}
