using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireSse.AppHost;

/// <summary>
/// A few commands to a redis-server or a Sentinel on loopback, over a fresh connection each time.
/// StackExchange.Redis is not used for this: it treats a Sentinel as something to discover a primary
/// through, not as a server to ask whether it answers.
/// </summary>
internal static class RedisProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>Sends AUTH then each command; returns the replies to the commands (not to AUTH).</summary>
    public static async Task<IReadOnlyList<object?>> SendAsync(int port, string password, IEnumerable<string[]> commands,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, timeout.Token);
        await using var stream = client.GetStream();

        string[][] all = [["AUTH", password], .. commands];
        var request = new StringBuilder();
        foreach (var command in all)
        {
            request.Append(CultureInfo.InvariantCulture, $"*{command.Length}\r\n");
            foreach (var part in command)
            {
                request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
            }
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
        var reader = new RespReader(stream);
        var replies = new List<object?>();
        for (var i = 0; i < all.Length; i++)
        {
            var reply = await reader.ReadAsync(timeout.Token);
            if (i == 0 && reply is RedisError error)
            {
                throw new InvalidOperationException($"AUTH was refused: {error.Message}");
            }

            if (i > 0)
            {
                replies.Add(reply);
            }
        }

        return replies;
    }

    /// <summary>Healthy once the server answers an authenticated PING with PONG (not LOADING, not an error).</summary>
    public static async Task<HealthCheckResult> PingAsync(int? port, string? password, CancellationToken cancellationToken)
    {
        if (port is null || password is null)
        {
            return HealthCheckResult.Unhealthy("Its port is not known yet.");
        }

        try
        {
            var replies = await SendAsync(port.Value, password, [["PING"]], cancellationToken);
            return replies[0] is "PONG"
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"PING answered {replies[0]}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }
    }

    /// <summary>An error reply (<c>-ERR …</c>).</summary>
    public sealed record RedisError(string Message);

    private sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task<object?> ReadAsync(CancellationToken cancellationToken)
        {
            var line = await ReadLineAsync(cancellationToken);
            var body = line[1..];
            switch (line[0])
            {
                case '+':
                    return body;
                case '-':
                    return new RedisError(body);
                case ':':
                    return long.Parse(body, CultureInfo.InvariantCulture);
                case '$':
                    var length = int.Parse(body, CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return null;
                    }

                    var bytes = await ReadExactlyAsync(length + 2, cancellationToken);
                    return Encoding.UTF8.GetString(bytes, 0, length);
                case '*':
                    var count = int.Parse(body, CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadAsync(cancellationToken);
                    }

                    return items;
                default:
                    throw new IOException($"Unexpected reply from Redis: {line}");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (_start == _end)
                {
                    await FillAsync(cancellationToken);
                }

                var b = _buffer[_start++];
                if (b == '\n' && line.Length > 0 && line[^1] == '\r')
                {
                    return line.ToString(0, line.Length - 1);
                }

                line.Append((char)b);
            }
        }

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
        {
            var result = new byte[count];
            var copied = 0;
            while (copied < count)
            {
                if (_start == _end)
                {
                    await FillAsync(cancellationToken);
                }

                var n = Math.Min(count - copied, _end - _start);
                Array.Copy(_buffer, _start, result, copied, n);
                _start += n;
                copied += n;
            }

            return result;
        }

        private async Task FillAsync(CancellationToken cancellationToken)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken);
            if (_end == 0)
            {
                throw new IOException("Redis closed the connection.");
            }
        }
    }
}
