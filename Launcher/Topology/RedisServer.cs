using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace AspireSse.Launcher.Topology;

/// <summary>
/// A private redis-server: loopback only, a free port, a generated password, append-only-file
/// persistence in its own data directory (removed when the topology is disposed).
/// </summary>
public sealed class RedisServer : ManagedProcess
{
    private RedisServer(string executable, int port, string password, string dataDirectory, bool persistence, OutputSink output)
        // In its own session, so the terminal's Ctrl+C reaches the services and the launcher but not
        // Redis: the launcher stops Redis last, after the services have let go of it.
        : base("redis", File.Exists(SetSid) ? SetSid : executable,
            File.Exists(SetSid)
                ? [executable, .. Arguments(port, password, dataDirectory, persistence)]
                : Arguments(port, password, dataDirectory, persistence),
            new Dictionary<string, string?>(), output)
    {
        Port = port;
        Password = password;
        DataDirectory = dataDirectory;
    }

    private const string SetSid = "/usr/bin/setsid";

    public int Port { get; }

    public string Password { get; }

    public string DataDirectory { get; }

    /// <summary>The StackExchange.Redis connection string, in the form Aspire's Redis resource gives.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    public static RedisServer Create(OutputSink output, bool persistence = true)
    {
        var executable = FindExecutable()
            ?? throw new InvalidOperationException(
                "redis-server was not found on PATH. Install Debian's package: sudo apt-get install -y redis-server " +
                "(./run.sh and ./test.sh install it themselves when run as root).");
        var dataDirectory = Directory.CreateTempSubdirectory("aspiresse-redis-").FullName;
        // Hex keeps the password free of characters that need escaping in a connection string.
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return new RedisServer(executable, FreePort.Next(), password, dataDirectory, persistence, output);
    }

    /// <summary>Waits until the server answers an authenticated PING.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (!IsRunning)
            {
                throw new InvalidOperationException($"redis-server exited while starting. Its output:{Environment.NewLine}{RecentOutput}");
            }

            try
            {
                if (await PingAsync(deadline.Token))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"redis-server did not answer PING within {timeout.TotalSeconds:F0} s.");
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a shutdown over.
        }
    }

    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {Password}\r\nPING\r\n"), cancellationToken);
        var buffer = new byte[64];
        var received = new StringBuilder();
        while (!received.ToString().Contains("PONG", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            if (received.ToString().Contains("-LOADING", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<string> Arguments(int port, string password, string dataDirectory, bool persistence) =>
    [
        "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--bind", "127.0.0.1",
        "--requirepass", password,
        "--dir", dataDirectory,
        "--daemonize", "no",
        "--save", "",
        "--appendonly", persistence ? "yes" : "no",
        "--appendfsync", "everysec",
    ];

    private static string? FindExecutable()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]);
        return directories.Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
    }
}
