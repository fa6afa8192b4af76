using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class TickRelayExtensions
{
    /// <summary>The relay: Redis subscription, broadcaster, heartbeats and readiness.</summary>
    public static IHostApplicationBuilder AddTickRelay(this IHostApplicationBuilder builder)
    {
        builder.AddRedisConnection("redis");

        builder.Services.AddOptions<TickStreamOptions>()
            .BindConfiguration(TickStreamOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_ =>
            ReplicaIdentity.FromEnvironment(builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"]));
        builder.Services.AddSingleton<RelayMetrics>();
        builder.Services.AddSingleton<TickEvents>();
        builder.Services.AddSingleton<RecentTicks>();
        builder.Services.AddSingleton<HistoryReadLimit>();
        builder.Services.AddSingleton<TickBroadcaster>();
        builder.Services.AddSingleton<RelayStatus>();
        builder.Services.AddSingleton<TickHistory>();
        builder.Services.AddSingleton<RollbackCheck>();
        builder.Services.AddSingleton<TickStreamWriter>();
        builder.Services.AddSingleton<TickStreamOpener>();
        // The plain output, unless the fast path (AddFastPath) has put its own in.
        builder.Services.TryAddSingleton<IStreamOutputFactory, PipeOutputFactory>();
        builder.Services.AddHostedService<TickStreamDrain>();
        builder.Services.AddHostedService<TickSubscriber>();
        builder.Services.AddHostedService<HeartbeatWorker>();

        builder.Services.AddHealthChecks().AddCheck<RelayHealthCheck>("relay", tags: ["ready"]);

        // Accepted sockets inherit the listening socket's buffer sizes on Linux. Post-configured, so
        // it applies to every listening socket however it was bound (a shared port binds its own).
        builder.Services.AddOptions<SocketTransportOptions>().PostConfigure<IOptions<TickStreamOptions>>((transport, stream) =>
        {
            if (stream.Value.SocketSendBufferBytes > 0)
            {
                var bind = transport.CreateBoundListenSocket;
                transport.CreateBoundListenSocket = endpoint =>
                {
                    var socket = bind(endpoint);
                    socket.SendBufferSize = stream.Value.SocketSendBufferBytes;
                    return socket;
                };
            }
        });
        return builder;
    }
}
