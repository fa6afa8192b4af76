using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class TickStreamConnectionsExtensions
{
    /// <summary>
    /// Lets plain HTTP/1.1 endpoints answer a connection's first <c>GET /events</c> below HTTP
    /// (<see cref="TickStreamConnections"/>), unless <c>TickStream:AnswerBelowHttp</c> or
    /// <c>TickStream:WriteToSocket</c> is false, or the app protects <c>/events</c>
    /// (<see cref="FastPathEligibility"/>).
    /// </summary>
    public static IHostApplicationBuilder AddTickStreamConnections(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FastPathEligibility>();
        builder.Services.AddSingleton<TickStreamConnections>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<TickStreamOptions>>((kestrel, stream) =>
        {
            if (!stream.Value.AnswerBelowHttp || !stream.Value.WriteToSocket)
            {
                return;
            }

            // Endpoint defaults reach every endpoint, from URLs and configuration alike. TLS added to
            // an endpoint runs after this, so these bytes are never encrypted; ServeAsync checks anyway.
            kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Use(next =>
            {
                var connections = endpoint.ApplicationServices.GetRequiredService<TickStreamConnections>();
                return connection => connections.ServeAsync(connection, next);
            }));
        });
        return builder;
    }
}
