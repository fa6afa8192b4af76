using AspireSse.WebFrontend.Admission;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class AdmissionExtensions
{
    /// <summary>
    /// Caps connections and streams from the replica's real limits (<see cref="AdmissionLimits"/>),
    /// cuts connections that are slow to say what they want, and bounds what a client's unread
    /// bytes hold.
    /// </summary>
    public static IHostApplicationBuilder AddAdmission(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdmissionOptions>()
            .BindConfiguration(AdmissionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(services => AdmissionLimits.Derive(
            services.GetRequiredService<IOptions<AdmissionOptions>>(),
            services.GetRequiredService<ILogger<AdmissionLimits>>()));

        // Kestrel's socket transport, wrapped so that the connection cap applies as connections are accepted.
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        builder.Services.AddSingleton<SocketTransportFactory>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(services => ActivatorUtilities.CreateInstance<AdmissionListenerFactory>(
            services, services.GetRequiredService<SocketTransportFactory>()));

        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<AdmissionOptions>>((transport, options) =>
        {
            transport.Backlog = options.Value.ListenBacklog;
            transport.MaxReadBufferSize = options.Value.ReadBufferBytes;
        });

        // Below the transport's buffer, the kernel's receive buffer holds what the replica has not
        // read, and by default it grows to far more than a request head needs. Accepted sockets
        // inherit the listening socket's on Linux; post-configured, like the send buffer
        // (TickStream:SocketSendBufferBytes), so it applies however the listening socket was bound.
        builder.Services.AddOptions<SocketTransportOptions>().PostConfigure<IOptions<AdmissionOptions>>((transport, options) =>
        {
            var bind = transport.CreateBoundListenSocket;
            transport.CreateBoundListenSocket = endpoint =>
            {
                var socket = bind(endpoint);
                socket.ReceiveBufferSize = options.Value.ReadBufferBytes;
                return socket;
            };
        });

        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<AdmissionOptions>>((kestrel, options) =>
        {
            // A connection that sends nothing waits under the keep-alive timeout, one that sends its
            // head slowly under the request-headers timeout: both bounded by the same setting.
            var timeout = options.Value.RequestHeadTimeout;
            kestrel.Limits.RequestHeadersTimeout = Min(kestrel.Limits.RequestHeadersTimeout, timeout);
            kestrel.Limits.KeepAliveTimeout = Min(kestrel.Limits.KeepAliveTimeout, timeout);
        });
        // After every Configure: Kestrel refuses to start with a request buffer below its request
        // line or header limits, and an app may have raised those.
        builder.Services.AddOptions<KestrelServerOptions>().PostConfigure<IOptions<AdmissionOptions>>((kestrel, options) =>
            kestrel.Limits.MaxRequestBufferSize = Math.Max(options.Value.ReadBufferBytes,
                Math.Max(kestrel.Limits.MaxRequestLineSize, kestrel.Limits.MaxRequestHeadersTotalSize)));

        builder.Services.AddHealthChecks().AddCheck<AdmissionHealthCheck>("admission", tags: ["ready"]);
        return builder;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
