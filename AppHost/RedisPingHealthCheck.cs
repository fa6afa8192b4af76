using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireSse.AppHost;

/// <summary>
/// Healthy once redis-server accepts the password and answers PING, so that waiting for it means
/// what waiting for the Redis container means. Speaks RESP over a socket of its own: StackExchange.Redis
/// is left to the version Aspire.Hosting.Redis brings for the container's check.
/// </summary>
internal sealed class RedisPingHealthCheck(EndpointReference endpoint, ParameterResource password) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var port = int.Parse(await endpoint.Property(EndpointProperty.Port).GetValueAsync(cancellationToken) ?? "", CultureInfo.InvariantCulture);
        var secret = await password.GetValueAsync(cancellationToken) ?? "";

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(Command("AUTH", secret) + Command("PING")), cancellationToken);

        // One reply line each; an error (-WRONGPASS, -LOADING while it reads its data) is unhealthy.
        using var replies = new StreamReader(stream, Encoding.UTF8);
        var auth = await replies.ReadLineAsync(cancellationToken);
        var ping = await replies.ReadLineAsync(cancellationToken);
        return auth == "+OK" && ping == "+PONG"
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"redis-server answered AUTH with '{auth}' and PING with '{ping}'.");
    }

    // A RESP array of bulk strings: lengths, not quoting, delimit each part.
    private static string Command(params string[] parts) =>
        $"*{parts.Length}\r\n" + string.Concat(parts.Select(p => $"${Encoding.UTF8.GetByteCount(p)}\r\n{p}\r\n"));
}
