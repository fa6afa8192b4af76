using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AspireSse.Faults.Tests;

/// <summary>
/// A TCP connection that behaves as no browser would: it says nothing, sends its request head a byte at
/// a time, sends junk after the head, or never reads what it is sent.
/// </summary>
internal sealed class RawConnection(Socket socket) : IDisposable
{
    /// <summary>A <c>GET /events</c> request head, as a minimal client sends it.</summary>
    public static string EventsHead(string? lastEventId = null) =>
        $"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n{(lastEventId is null ? "" : $"Last-Event-ID: {lastEventId}\r\n")}\r\n";

    /// <summary>
    /// Connects, or gives up after a few seconds (a full accept queue drops the attempt).
    /// <paramref name="receiveBufferBytes"/>: a small kernel buffer for a client that never reads, so
    /// what the server sends piles up on the server's side rather than in this process.
    /// </summary>
    public static async Task<RawConnection> OpenAsync(EndPoint endpoint, CancellationToken cancellationToken, int? receiveBufferBytes = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferBytes is { } bytes)
        {
            socket.ReceiveBufferSize = bytes;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
        }

        return new RawConnection(socket);
    }

    public bool Connected => socket.Connected;

    /// <summary>Sends a request head one byte per <paramref name="every"/>; true if all of it went out.</summary>
    public async Task<bool> DripRequestHeadAsync(string path, TimeSpan every, CancellationToken cancellationToken)
    {
        var head = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
        try
        {
            for (var i = 0; i < head.Length; i++)
            {
                await socket.SendAsync(head.AsMemory(i, 1), cancellationToken);
                await Task.Delay(every, cancellationToken);
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> and then, if asked, <paramref name="junkBytes"/> of junk, for as
    /// long as the server takes them within <paramref name="timeout"/>; returns the junk bytes it took.
    /// </summary>
    public async Task<long> SendAsync(string text, int junkBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        long sent = 0;
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(text), deadline.Token);
            var junk = new byte[16 * 1024];
            Array.Fill(junk, (byte)'x');
            while (sent < junkBytes)
            {
                sent += await socket.SendAsync(junk.AsMemory(0, (int)Math.Min(junk.Length, junkBytes - sent)), deadline.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server stopped taking bytes (its buffers are full) or cut the connection.
        }

        return sent;
    }

    /// <summary>Reads what has arrived so far, waiting up to <paramref name="timeout"/> for the first bytes.</summary>
    public async Task<string> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            var read = await socket.ReceiveAsync(buffer, deadline.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return "";
        }
    }

    public void Dispose() => socket.Dispose();
}
