using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace AspireSse.TestSupport.Processes;

/// <summary>
/// A private redis-server: loopback only, a free port, a generated password, append-only-file
/// persistence in its own data directory (removed when the topology is disposed); optionally TLS only.
/// </summary>
public sealed class RedisServer : ManagedProcess
{
    private RedisServer(string executable, int port, string password, string dataDirectory, bool persistence, RedisTls? tls, OutputSink output)
        // In its own session, so a terminal's Ctrl+C reaches the services and the test but not
        // Redis: the harness stops Redis last, after the services have let go of it.
        : base("redis", File.Exists(SetSid) ? SetSid : executable,
            File.Exists(SetSid)
                ? [executable, .. Arguments(port, password, dataDirectory, persistence, tls)]
                : Arguments(port, password, dataDirectory, persistence, tls),
            new Dictionary<string, string?>(), output)
    {
        Port = port;
        Password = password;
        DataDirectory = dataDirectory;
        Tls = tls;
    }

    private const string SetSid = "/usr/bin/setsid";

    public int Port { get; }

    public string Password { get; }

    public string DataDirectory { get; }

    /// <summary>Set when the server accepts TLS connections only.</summary>
    public RedisTls? Tls { get; }

    /// <summary>The StackExchange.Redis connection string, in the form Aspire's Redis resource gives.</summary>
    public string ConnectionString => Tls is null
        ? $"127.0.0.1:{Port},password={Password}"
        // The host must be one the certificate names; Aspire's TLS connection string names localhost too.
        : $"localhost:{Port},password={Password},ssl=true";

    public static RedisServer Create(OutputSink output, bool persistence = true, RedisTls? tls = null)
    {
        var executable = FindExecutable()
            ?? throw new InvalidOperationException(
                "redis-server was not found on PATH. Install Debian's package: sudo apt-get install -y redis-server " +
                "(./run.sh and ./test.sh install it themselves when run as root).");
        var dataDirectory = Directory.CreateTempSubdirectory("aspiresse-redis-").FullName;
        // Hex keeps the password free of characters that need escaping in a connection string.
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return new RedisServer(executable, FreePort.Next(), password, dataDirectory, persistence, tls, output);
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

    /// <summary>
    /// Kills the server (SIGKILL) and starts it again from <paramref name="older"/>, as a server
    /// restored from an older copy of its data would; waits until it answers.
    /// </summary>
    public async Task RestartFromAsync(RedisDataCopy older, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await KillAsync();
        older.RestoreInto(DataDirectory);
        Start();
        await WaitReadyAsync(timeout, cancellationToken);
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
        await using var stream = Tls is null ? client.GetStream() : await AuthenticateAsync(client.GetStream(), Tls, cancellationToken);
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

    /// <summary>TLS as a client of this server, trusting only the server's own CA file.</summary>
    private static async Task<Stream> AuthenticateAsync(NetworkStream stream, RedisTls tls, CancellationToken cancellationToken)
    {
        var trust = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        trust.CustomTrustStore.ImportFromPemFile(tls.CaCertificateFile);
        var ssl = new SslStream(stream);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = trust,
        }, cancellationToken);
        return ssl;
    }

    private static IEnumerable<string> Arguments(int port, string password, string dataDirectory, bool persistence, RedisTls? tls) =>
    [
        .. PortArguments(port, tls),
        "--bind", "127.0.0.1",
        "--requirepass", password,
        "--dir", dataDirectory,
        "--daemonize", "no",
        "--save", "",
        "--appendonly", persistence ? "yes" : "no",
        "--appendfsync", "everysec",
    ];

    // With TLS the plain port is closed (0), so nothing can reach the server without TLS. Client
    // certificates are not asked for, as in Aspire's run mode.
    private static IEnumerable<string> PortArguments(int port, RedisTls? tls) => tls is null
        ? ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]
        :
        [
            "--port", "0",
            "--tls-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls-cert-file", tls.CertificateFile,
            "--tls-key-file", tls.KeyFile,
            "--tls-ca-cert-file", tls.CaCertificateFile,
            "--tls-auth-clients", "no",
        ];

    private static string? FindExecutable()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]);
        return directories.Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
    }
}
