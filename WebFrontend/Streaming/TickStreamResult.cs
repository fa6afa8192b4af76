using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>
/// A stream opened through the HTTP pipeline (<see cref="TickStreamEndpoints"/>), written where
/// <see cref="IStreamOutputFactory"/> says: Kestrel's response pipe, unless the fast path takes the socket.
/// </summary>
internal sealed class TickStreamResult(
    TickClient client, TickId? resumeAfter, TickBroadcaster broadcaster, TickStreamWriter writer, IStreamOutputFactory outputs)
    : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        // A client that fell behind is dropped at the connection, not just at the queue: its socket
        // may be stalled, and only aborting frees what the server holds for it.
        client.OnCut(static state => ((HttpContext)state!).Abort(), httpContext);
        // A client that left ends the wait for its next event.
        using var left = httpContext.RequestAborted.UnsafeRegister(static state => ((TickClient)state!).Complete(), client);

        StreamOutput? output = null;
        var drained = false;
        try
        {
            output = outputs.Start(httpContext);
            await writer.WriteAsync(client, resumeAfter, output, httpContext.RequestAborted);
            drained = !client.WasCut && !httpContext.RequestAborted.IsCancellationRequested;
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left, or was cut: nothing more to send.
        }
        finally
        {
            output?.End(drained);
            broadcaster.Leave(client);
        }
    }
}
