using AspireSse.WebFrontend.FastPath;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class FastPathExtensions
{
    /// <summary>
    /// The optimisations of <c>WebFrontend/FastPath</c>, configured by the <c>FastPath</c> section
    /// (<see cref="FastPathOptions"/>): streams written straight to the socket, a connection's first
    /// <c>GET /events</c> answered below HTTP, and optionally batched flushes. Without this call, or
    /// with <c>FastPath:Enabled=false</c>, every stream takes the plain path and behaves the same.
    /// </summary>
    public static IHostApplicationBuilder AddFastPath(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(FastPathOptions.SectionName);
        if (!section.GetValue(nameof(FastPathOptions.Enabled), defaultValue: true))
        {
            return builder;
        }

        builder.Services.AddOptions<FastPathOptions>()
            .BindConfiguration(FastPathOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<PipeOutputFactory>();
        builder.Services.RemoveAll<IStreamOutputFactory>();
        builder.Services.AddSingleton<IStreamOutputFactory, SocketOutputFactory>();
        builder.Services.AddHostedService<FlushWorker>();

        builder.Services.AddSingleton<FastPathEligibility>();
        builder.Services.AddSingleton<TickStreamConnections>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<FastPathOptions>>((kestrel, fastPath) =>
        {
            if (!fastPath.Value.AnswerBelowHttp || !fastPath.Value.WriteToSocket)
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
