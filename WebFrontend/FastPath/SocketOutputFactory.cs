using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// Writes a stream opened through the HTTP pipeline straight to its socket (<see cref="SocketResponse"/>)
/// where that is safe, and through Kestrel's response pipe everywhere else.
/// </summary>
internal sealed class SocketOutputFactory(PipeOutputFactory pipe, IOptions<FastPathOptions> options, TimeProvider time)
    : IStreamOutputFactory
{
    public StreamOutput Start(HttpContext context)
    {
        if (!options.Value.WriteToSocket || context.Request.IsHttps || !HttpMethods.IsGet(context.Request.Method)
            || !HttpProtocol.IsHttp11(context.Request.Protocol) || context.Response.HasStarted
            || context.Features.Get<IConnectionSocketFeature>()?.Socket is not { Connected: true } socket)
        {
            return pipe.Start(context);
        }

        // A send must never wait for a slow client: with a full send buffer it returns WouldBlock at
        // once, and only then does SocketOutput await the rest. Kestrel's own reads are asynchronous
        // and do not depend on this setting.
        socket.Blocking = false;
        var output = new SocketOutput(socket, TickStreamPath.Socket, context);
        output.Write(SocketResponse.Head(time.GetUtcNow()));
        return output;
    }
}
