using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>Where a stream's frames go: gathered by <see cref="Write"/>, sent by <see cref="FlushAsync"/>.</summary>
internal abstract class StreamOutput
{
    public abstract void Write(ArraySegment<byte> frame);

    /// <returns>False when the client has gone.</returns>
    public abstract ValueTask<bool> FlushAsync(CancellationToken cancellationToken);
}

/// <summary>Through Kestrel's response pipe: copied into its buffers, one flush per batch.</summary>
internal sealed class PipeOutput(PipeWriter writer) : StreamOutput
{
    public override void Write(ArraySegment<byte> frame) => writer.Write(frame);

    public override async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var result = await writer.FlushAsync(cancellationToken);
        return !result.IsCompleted && !result.IsCanceled;
    }
}

/// <summary>
/// Straight to the socket (<see cref="SocketResponse"/>): the frames are not copied, a batch is one
/// gathered send, and a send the socket takes at once (nearly all of them) completes without
/// involving the thread pool or allocating.
/// </summary>
internal sealed class SocketOutput(Socket socket) : StreamOutput
{
    private readonly List<ArraySegment<byte>> _pending = [];

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
        finally
        {
            _pending.Clear();
        }
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
