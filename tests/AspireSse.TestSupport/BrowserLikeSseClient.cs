using System.Net.ServerSentEvents;
using System.Net.Sockets;

namespace AspireSse.TestSupport;

/// <summary>
/// An SSE client that behaves like a browser's EventSource: it reconnects when the stream ends or
/// breaks, waits the server's <c>retry:</c> delay first, and sends <c>Last-Event-ID</c>. Unlike a
/// browser it also retries after an error status, as the page's own script does. It records every
/// tick it receives, for checking that none was lost, repeated or reordered.
/// </summary>
public sealed class BrowserLikeSseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(string Epoch, long Sequence)> _ticks = [];
    private readonly List<string> _replicas = [];
    private readonly List<(string Id, string Data, long ReceivedAt)> _tickData = [];
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private Task _loop = Task.CompletedTask;
    private TimeSpan _retry = TimeSpan.FromSeconds(1);
    private int _resets;
    private int _connections;
    private int _failedAttempts;
    private int _refusals;

    public BrowserLikeSseClient(Uri url, int? receiveBufferBytes = null)
    {
        _url = url;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero };
        if (receiveBufferBytes is { } size)
        {
            // A small receive window makes a paused reader look stalled to the server quickly.
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = size };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public string? LastEventId { get; private set; }

    public int Resets => Volatile.Read(ref _resets);

    /// <summary>How many times it (re)connected.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>How many attempts to connect got an error status or no answer (a proxy in front of a dead replica).</summary>
    public int FailedAttempts => Volatile.Read(ref _failedAttempts);

    /// <summary>How many of those were a full replica's <c>503</c> with <c>Retry-After</c>.</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>The replica that served each connection, in order (from its <c>hello</c>).</summary>
    public IReadOnlyList<string> Replicas
    {
        get
        {
            lock (_replicas)
            {
                return [.. _replicas];
            }
        }
    }

    public IReadOnlyList<(string Epoch, long Sequence)> Ticks
    {
        get
        {
            lock (_ticks)
            {
                return [.. _ticks];
            }
        }
    }

    /// <summary>Every tick as received: its id, its data, and when (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public IReadOnlyList<(string Id, string Data, long ReceivedAt)> TickData
    {
        get
        {
            lock (_ticks)
            {
                return [.. _tickData];
            }
        }
    }

    public long LastSequence
    {
        get
        {
            lock (_ticks)
            {
                return _ticks.Count == 0 ? 0 : _ticks[^1].Sequence;
            }
        }
    }

    public void Start() => _loop = Task.Run(RunAsync, CancellationToken.None);

    /// <summary>Stops reading (as a frozen tab or a congested link would) until <see cref="ResumeReading"/>.</summary>
    public Task PauseReadingAsync() => _readGate.WaitAsync();

    public void ResumeReading() => _readGate.Release();

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TimeSpan? comeBackAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _url);
                request.Headers.Accept.ParseAdd("text/event-stream");
                if (LastEventId is { } id)
                {
                    request.Headers.TryAddWithoutValidation("Last-Event-ID", id);
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
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
                    Interlocked.Increment(ref _connections);
                    await using var stream = await response.Content.ReadAsStreamAsync(_stop.Token);
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

            await Task.Delay(comeBackAfter ?? _retry, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

            switch (item.EventType)
            {
                case "tick":
                    var dash = item.EventId!.LastIndexOf('-');
                    lock (_ticks)
                    {
                        _ticks.Add((item.EventId[..dash], long.Parse(item.EventId[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
                        _tickData.Add((item.EventId, item.Data, System.Diagnostics.Stopwatch.GetTimestamp()));
                    }

                    break;
                case "hello":
                    using (var hello = System.Text.Json.JsonDocument.Parse(item.Data))
                    {
                        lock (_replicas)
                        {
                            _replicas.Add(hello.RootElement.GetProperty("replica").GetString() ?? "");
                        }
                    }

                    break;
                case "reset":
                    Interlocked.Increment(ref _resets);
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
        _stop.Dispose();
        _readGate.Dispose();
    }
}
