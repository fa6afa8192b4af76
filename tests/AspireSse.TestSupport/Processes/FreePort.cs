using System.Net;
using System.Net.Sockets;

namespace AspireSse.TestSupport.Processes;

public static class FreePort
{
    /// <summary>A loopback port nobody is listening on right now (the OS picks it).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
