using System.Net;
using System.Net.Sockets;
using AspireSse.WebFrontend.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class PortSharingExtensions
{
    // From Linux's <asm-generic/socket.h>; .NET names SO_REUSEADDR but not SO_REUSEPORT.
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    /// <summary>
    /// Lets replicas on one machine listen on one port (<see cref="PortSharingOptions.Port"/>), the
    /// kernel balancing connections between them: how the benchmark runs 100 000 streams on one box,
    /// where each process is held to 20 000 open files.
    /// </summary>
    public static IHostApplicationBuilder AddPortSharing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PortSharingOptions>()
            .BindConfiguration(PortSharingOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Port == 0 || OperatingSystem.IsLinux(), "PortSharing:Port needs Linux (SO_REUSEPORT as Linux balances it).")
            .ValidateOnStart();

        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<PortSharingOptions>>((transport, sharing) =>
        {
            var shared = sharing.Value.Port;
            if (shared == 0)
            {
                return;
            }

            transport.CreateBoundListenSocket = endpoint => endpoint is IPEndPoint ip && ip.Port == shared
                ? BindShared(ip)
                : SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        });
        return builder;
    }

    private static Socket BindShared(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            // Before the bind: a port is shared only if every socket bound to it asked to share it.
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
