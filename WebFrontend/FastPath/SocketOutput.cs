using System.Net.Sockets;
using AspireSse.WebFrontend.Streaming;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// Straight to the socket (<see cref="SocketResponse"/>): the frames are not copied, a batch is one
/// gathered send, and a send the socket takes at once (nearly all of them) completes without
/// involving the thread pool or allocating.
/// </summary>
/// <param name="path">The <see cref="Relay.TickStreamPath"/> this stream came by.</param>
/// <param name="request">The HTTP request whose response this replaces, to be aborted at the end so
/// Kestrel writes nothing after the stream; null below HTTP.</param>
internal sealed class SocketOutput(Socket socket, string path, HttpContext? request) : StreamOutput
{
    private readonly List<ArraySegment<byte>> _pending = [];

    public override string Path => path;

    public override void Write(ArraySegment<byte> frame) => _pending.Add(frame);

    public override async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return true;
        }

        try
        {
            // The socket is non-blocking: this sends what fits in its buffer and never waits.
            var sent = _pending.Count == 1
                ? socket.Send(_pending[0], SocketFlags.None, out var error)
                : socket.Send(_pending, SocketFlags.None, out error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                return false;
            }

            Skip(error == SocketError.Success ? sent : 0);
            if (_pending.Count > 0)
            {
                // The client reads slower than events arrive: wait until the socket drains. A cut
                // aborts the connection, which ends this send.
                await socket.SendAsync(_pending, SocketFlags.None);
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client left, or was cut, while we were writing.
            return false;
        }
        finally
        {
            _pending.Clear();
        }
    }

    public override void End(bool drained)
    {
        if (drained)
        {
            try
            {
                // The body ends with the connection: the client reads to the end, then reconnects.
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // It left first.
            }
        }

        // Kestrel never started this response; it must not write one after our stream.
        request?.Abort();
    }

    // Drops the first count bytes of the pending frames: they were sent.
    private void Skip(int count)
    {
        var done = 0;
        while (done < _pending.Count && count >= _pending[done].Count)
        {
            count -= _pending[done].Count;
            done++;
        }

        if (done < _pending.Count && count > 0)
        {
            _pending[done] = _pending[done][count..];
        }

        _pending.RemoveRange(0, done);
    }
}
