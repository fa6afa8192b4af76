using System.Buffers;
using System.IO.Pipelines;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>Where a stream's frames go: gathered by <see cref="Write"/>, sent by <see cref="FlushAsync"/>.</summary>
internal abstract class StreamOutput
{
    /// <summary>How the stream is written, a <see cref="TickStreamPath"/>.</summary>
    public abstract string Path { get; }

    public abstract void Write(ArraySegment<byte> frame);

    /// <returns>False when the client has gone.</returns>
    public abstract ValueTask<bool> FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The stream is over. <paramref name="drained"/>: it ended on purpose (drain), and the client
    /// should read to the end and reconnect; otherwise the client left or was cut.
    /// </summary>
    public virtual void End(bool drained)
    {
    }
}

/// <summary>Through Kestrel's response pipe: copied into its buffers, one flush per batch.</summary>
internal sealed class PipeOutput(PipeWriter writer) : StreamOutput
{
    public override string Path => TickStreamPath.Pipe;

    public override void Write(ArraySegment<byte> frame) => writer.Write(frame);

    public override async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var result = await writer.FlushAsync(cancellationToken);
        return !result.IsCompleted && !result.IsCanceled;
    }
}
