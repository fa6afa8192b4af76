using System.Net.Sockets;
using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;
using Microsoft.AspNetCore.Http.Features;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>
/// A stream opened through the HTTP pipeline (<see cref="TickStreamEndpoints"/>). On plain HTTP/1.1
/// it is written straight to the socket (<see cref="SocketResponse"/>), elsewhere (HTTPS, HTTP/2,
/// <c>TickStream:WriteToSocket=false</c>) through Kestrel's response pipe.
/// </summary>
internal sealed class TickStreamResult(TickClient client, TickId? resumeAfter, TickStreamWriter writer, TickStreamOptions options)
    : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        using var owned = client;
        // A client that fell behind is dropped at the connection, not just at the queue: its socket
        // may be stalled, and only aborting frees what the server holds for it.
        client.OnCut(static state => ((HttpContext)state!).Abort(), httpContext);
        // A client that left ends the wait for its next event.
        using var left = httpContext.RequestAborted.UnsafeRegister(static state => ((TickClient)state!).Complete(), client);

        var socket = SocketResponse.TryTake(httpContext, options);
        StreamOutput output;
        if (socket is null)
        {
            var response = httpContext.Response;
            foreach (var (name, value) in TickStreamWriter.Headers)
            {
                response.Headers[name] = value;
            }

            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            output = new PipeOutput(response.BodyWriter);
        }
        else
        {
            output = new SocketOutput(socket);
            output.Write(writer.SocketHead());
        }

        try
        {
            await writer.WriteAsync(client, resumeAfter, socket is null ? TickStreamPath.Pipe : TickStreamPath.Socket, output,
                httpContext.RequestAborted);
            if (socket is not null && !client.WasCut && !httpContext.RequestAborted.IsCancellationRequested)
            {
                // The stream ended on purpose (drain): the client reads to the end, then reconnects.
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left, or was cut: nothing more to send.
        }
        catch (Exception ex) when (socket is not null && ex is SocketException or ObjectDisposedException)
        {
            // The client left while we were writing to its socket.
        }
        finally
        {
            if (socket is not null)
            {
                // Kestrel never started this response; it must not write one after our stream.
                httpContext.Abort();
            }
        }
    }
}
