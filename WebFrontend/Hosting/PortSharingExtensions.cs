using System.Net;
using AspireSse.WebFrontend.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class PortSharingExtensions
{
    /// <summary>
    /// Lets replicas on one machine listen on one port (<see cref="PortSharingOptions.Port"/>), the
    /// kernel balancing connections between them: how the benchmark runs 100 000 streams on one box,
    /// where each process is held to 20 000 open files. A stopping replica leaves the port before it
    /// drains (<see cref="SharedPortListener.Leave"/>), so its clients reconnect to the others.
    /// </summary>
    public static IHostApplicationBuilder AddPortSharing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PortSharingOptions>()
            .BindConfiguration(PortSharingOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Port == 0 || OperatingSystem.IsLinux(), "PortSharing:Port needs Linux (SO_REUSEPORT as Linux balances it).")
            .ValidateOnStart();

        builder.Services.AddSingleton<SharedPortListener>();
        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<PortSharingOptions>, SharedPortListener>((transport, sharing, listener) =>
        {
            var shared = sharing.Value.Port;
            if (shared == 0)
            {
                return;
            }

            transport.CreateBoundListenSocket = endpoint => endpoint is IPEndPoint ip && ip.Port == shared
                ? listener.Bind(ip)
                : SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        });
        return builder;
    }
}
