using System.Net;
using System.Net.Sockets;

namespace AspireSse.WebFrontend.Hosting;

/// <summary>
/// This replica's listening socket on the shared port (<see cref="PortSharingOptions.Port"/>). Linux
/// spreads a shared port's new connections over every socket listening on it and knows nothing of
/// readiness, so reporting unready does not stop a stopping replica being handed clients: closing its
/// socket does. The streams it serves, and its own ports (health, stats), are untouched.
/// </summary>
public sealed partial class SharedPortListener(ILogger<SharedPortListener> logger)
{
    // From Linux's <asm-generic/socket.h>; .NET names SO_REUSEADDR but not SO_REUSEPORT.
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private readonly Lock _gate = new();
    private readonly List<Socket> _sockets = [];
    private bool _left;

    /// <summary>A socket bound to <paramref name="endpoint"/> that shares the port with the other replicas.</summary>
    internal Socket Bind(IPEndPoint endpoint)
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
            lock (_gate)
            {
                _sockets.Add(socket);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes this replica out of the port's group: the kernel sends new connections, reconnecting
    /// clients among them, only to the other replicas. Kestrel's accept loop on the socket ends as it
    /// does when Kestrel unbinds it. Connections queued on it but not yet accepted are reset (unless
    /// <c>net.ipv4.tcp_migrate_req</c> is on); their clients retry.
    /// </summary>
    public void Leave()
    {
        Socket[] sockets;
        lock (_gate)
        {
            if (_left || _sockets.Count == 0)
            {
                return;
            }

            _left = true;
            sockets = [.. _sockets];
        }

        foreach (var socket in sockets)
        {
            var endpoint = socket.LocalEndPoint?.ToString();
            socket.Dispose();
            LogLeft(endpoint);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Left the shared port {EndPoint}: new connections go to the other replicas")]
    private partial void LogLeft(string? endPoint);
}
