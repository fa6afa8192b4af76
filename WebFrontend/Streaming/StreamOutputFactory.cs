using Microsoft.AspNetCore.Http.Features;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>Starts the response of a stream opened through the HTTP pipeline, and says where its events go.</summary>
internal interface IStreamOutputFactory
{
    StreamOutput Start(HttpContext context);
}

/// <summary>The plain way: the stream's headers, then Kestrel's response pipe, unbuffered.</summary>
internal sealed class PipeOutputFactory : IStreamOutputFactory
{
    public StreamOutput Start(HttpContext context)
    {
        var response = context.Response;
        foreach (var (name, value) in TickStreamWriter.Headers)
        {
            response.Headers[name] = value;
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return new PipeOutput(response.BodyWriter);
    }
}
