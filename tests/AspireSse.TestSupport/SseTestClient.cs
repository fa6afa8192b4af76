using System.Net.ServerSentEvents;

namespace AspireSse.TestSupport;

/// <summary>
/// Reads one SSE stream in the background, with <see cref="SseParser"/>, and lets a test wait for
/// what it expects to see — always with a timeout.
/// </summary>
public sealed class SseTestClient : IAsyncDisposable
{
    private readonly List<SseEvent> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;
    private Exception? _failure;
    private bool _ended;
    private int _disposed;

    private SseTestClient()
    {
    }

    public static async Task<SseTestClient> ConnectAsync(HttpClient http, Uri url, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var client = new SseTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        client.Response = response;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        client._reader = Task.Run(() => client.ReadAsync(stream), CancellationToken.None);
        return client;
    }

    public HttpResponseMessage Response { get; private set; } = null!;

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

    /// <summary>True once the server ended the stream or the connection broke.</summary>
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

    private async Task ReadAsync(Stream stream)
    {
        try
        {
            var parser = SseParser.Create(stream);
            await foreach (var item in parser.EnumerateAsync(_stop.Token))
            {
                Add(new SseEvent(item.EventType, item.EventId, item.Data));
            }
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

    private void Add(SseEvent e)
    {
        lock (_events)
        {
            _events.Add(e);
        }

        Signal();
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

    private static string Describe(IReadOnlyList<SseEvent> events) =>
        events.Count == 0 ? "none" : string.Join(", ", events.TakeLast(10).Select(e => e.Id is null ? e.Type : $"{e.Type}#{e.Id}"));

    /// <summary>Closes the stream; safe to call again (a test may close a client its fixture also owns).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        Response?.Dispose();
        await _reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
