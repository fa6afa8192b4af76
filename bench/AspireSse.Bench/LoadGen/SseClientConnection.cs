using System.Net.ServerSentEvents;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// An EventSource-like client: one GET through <see cref="HttpClient"/>, the stream read with
/// <see cref="SseParser"/> as the tests' client reads it. Each tick is accounted for inside the
/// parser's callback, straight from its data bytes, so nothing of an event is kept. A hand-written
/// allocation-free reader cost no less client CPU: bench/results/sse-reader.md.
/// </summary>
/// <param name="http">Shared by every connection of a load generator; each open stream holds a connection of its own.</param>
public sealed class SseClientConnection(LoadTarget target, ConnectionTally tally, LatencyHistogram latency, LatencyHistogram unmovedLatency,
    HttpClient http) : ClientConnection(target, tally, latency, unmovedLatency)
{
    private readonly CancellationTokenSource _close = new();

    protected override async Task ReadAsync(CancellationToken connectCancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Target.Url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.CacheControl = new() { NoCache = true };
        if (LastEventId is { } lastEventId)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connectCancellation);
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"GET {Target.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        // Disposing the response is what ends the pending read (see Dispose).
        using var closing = _close.Token.Register(static r => ((HttpResponseMessage)r!).Dispose(), response);
        await using var stream = new CountingStream(await response.Content.ReadAsStreamAsync(connectCancellation), CountBytes);
        MarkOpened();
        var tickEvent = Target.TickEvent;
        var parser = SseParser.Create(stream, (eventType, data) =>
        {
            if (eventType == tickEvent)
            {
                OnTickJson(data, DateTime.UtcNow.Ticks);
            }

            return false;
        });
        try
        {
            await foreach (var _ in parser.EnumerateAsync(CancellationToken.None))
            {
            }
        }
        finally
        {
            if (parser.LastEventId.Length > 0)
            {
                LastEventId = parser.LastEventId;
            }

            if (parser.ReconnectionInterval > TimeSpan.Zero && parser.ReconnectionInterval != Timeout.InfiniteTimeSpan)
            {
                RetryDelay = parser.ReconnectionInterval;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _close.Cancel();
        }
    }

    /// <summary>Passes reads through, counting the bytes of the response body.</summary>
    private sealed class CountingStream(Stream inner, Action<int> onRead) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            onRead(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            onRead(read);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
