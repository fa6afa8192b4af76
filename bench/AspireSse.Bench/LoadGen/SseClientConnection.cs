using System.Net.Sockets;
using System.Text;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// An EventSource-like client on a raw socket: one GET, then chunked SSE parsed in place. Per event
/// it costs a receive and a JSON scan, nothing allocated.
/// </summary>
public sealed class SseClientConnection(LoadTarget target, LatencyHistogram latency) : ClientConnection(target, latency)
{
    protected override async Task ReadAsync(CancellationToken connectCancellation)
    {
        var url = Target.Url;
        var request = Encoding.ASCII.GetBytes(
            $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
        await Socket.SendAsync(request, SocketFlags.None, connectCancellation);

        var buffer = new byte[BufferSize];
        var head = await HttpResponseHead.ReadAsync(Socket, buffer, connectCancellation);
        if (head.StatusCode != 200)
        {
            throw new IOException($"GET {url} answered {head.StatusCode}: {head.Text.Split("\r\n")[0]}");
        }

        MarkOpened();
        var decoder = new ChunkedDecoder(head.Chunked);
        var reader = new SseEventReader();
        var tickEvent = Encoding.UTF8.GetBytes(Target.TickEvent);
        Consume(buffer.AsSpan(head.BodyOffset, head.BodyCount), decoder, reader, tickEvent);

        while (!decoder.IsDone)
        {
            var read = await Socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, CancellationToken.None);
            if (read == 0)
            {
                return;
            }

            Consume(buffer.AsSpan(0, read), decoder, reader, tickEvent);
        }
    }

    private void Consume(ReadOnlySpan<byte> received, ChunkedDecoder decoder, SseEventReader reader, byte[] tickEvent)
    {
        if (received.IsEmpty)
        {
            return;
        }

        // One timestamp per read: everything in it arrived at the same moment.
        var now = DateTime.UtcNow.Ticks;
        CountBytes(received.Length);
        while (decoder.TryNext(ref received, out var body))
        {
            while (reader.TryRead(ref body, out var eventType, out var data))
            {
                if (eventType.SequenceEqual(tickEvent))
                {
                    OnTickJson(data, now);
                }
            }
        }
    }
}
