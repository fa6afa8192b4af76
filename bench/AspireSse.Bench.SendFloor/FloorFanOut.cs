using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AspireSse.Bench.Systems;
using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.Bench.SendFloor;

/// <summary>
/// Each tick is encoded once, then sent to every connection with one non-blocking send, from one
/// thread per core, with no queue, no await, no batching and no protection against slow clients.
/// </summary>
internal sealed class FloorFanOut
{
    private static readonly byte[] HealthResponse =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\nHealthy"u8.ToArray();

    private static readonly byte[] StreamHead =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"u8.ToArray();

    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];

    public async Task SubscribeAsync(ISubscriber subscriber)
    {
        var queue = await subscriber.SubscribeAsync(TickRedisKeys.Channel);
        // One message at a time, in order, as the WebFrontend relays them.
        queue.OnMessage(message =>
        {
            if (JsonSerializer.Deserialize((ReadOnlySpan<byte>)(byte[])message.Message!, TickJsonContext.Default.Tick) is { } tick)
            {
                Send(Frame(tick));
            }
        });
    }

    /// <summary>Reads the request head; answers <c>/health</c>, and keeps anything else as a stream.</summary>
    public async Task AcceptAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            var head = new byte[4096];
            var length = 0;
            while (head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
            {
                var read = await socket.ReceiveAsync(head.AsMemory(length), cancellationToken);
                if (read == 0 || (length += read) == head.Length)
                {
                    socket.Dispose();
                    return;
                }
            }

            if (head.AsSpan(0, length).StartsWith("GET /health"u8))
            {
                await socket.SendAsync(HealthResponse, cancellationToken);
                socket.Shutdown(SocketShutdown.Both);
                socket.Dispose();
                return;
            }

            await socket.SendAsync(StreamHead, cancellationToken);
            socket.NoDelay = true;
            socket.Blocking = false;
            lock (_lock)
            {
                _sockets.Add(socket);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
        }
    }

    private void Send(byte[] frame)
    {
        Socket[] sockets;
        lock (_lock)
        {
            sockets = [.. _sockets];
        }

        var half = sockets.Length / 2;
        Parallel.Invoke(() => SendRange(sockets.AsSpan(0, half), frame), () => SendRange(sockets.AsSpan(half), frame));
    }

    private void SendRange(Span<Socket> sockets, byte[] frame)
    {
        foreach (var socket in sockets)
        {
            var sent = socket.Send(frame, SocketFlags.None, out var error);
            if (error == SocketError.Success && sent == frame.Length)
            {
                continue;
            }

            if (error is SocketError.Success or SocketError.WouldBlock)
            {
                // Not expected at these rates; finish the frame rather than lose it.
                socket.Blocking = true;
                socket.Send(frame.AsSpan(error == SocketError.Success ? sent : 0));
                socket.Blocking = false;
                continue;
            }

            lock (_lock)
            {
                _sockets.Remove(socket);
            }

            socket.Dispose();
        }
    }

    // The same event, fields and size as the WebFrontend's tick.
    private static byte[] Frame(Tick tick)
    {
        var json = JsonSerializer.Serialize(new PeerTick(tick.Epoch, tick.Sequence, tick.PublishedAt, "webfrontend-1", false),
            PeerTickJsonContext.Default.PeerTick);
        return Encoding.UTF8.GetBytes($"event: tick\nid: {tick.Epoch}-{tick.Sequence}\ndata: {json}\n\n");
    }
}
