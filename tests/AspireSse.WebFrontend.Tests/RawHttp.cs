using System.Net.Sockets;
using System.Text;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>A TCP connection to a replica for requests written byte for byte, as no HttpClient would send them.</summary>
public sealed class RawHttp : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StringBuilder _received = new();

    private RawHttp(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <param name="receiveBufferBytes">A small receive window makes a client that stops reading look stalled to the server at once.</param>
    public static async Task<RawHttp> ConnectAsync(ServiceProcess frontend, CancellationToken cancellationToken, int? receiveBufferBytes = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBufferBytes is { } size)
        {
            tcp.ReceiveBufferSize = size;
        }

        await tcp.ConnectAsync(frontend.Url.Host, frontend.Url.Port, cancellationToken);
        return new RawHttp(tcp);
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and reads until the server closes it.</summary>
    public static async Task<string> ExchangeAsync(ServiceProcess frontend, string request, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(frontend, cancellationToken);
        await connection.SendAsync(request, cancellationToken);
        return await connection.ReadToEndAsync(cancellationToken);
    }

    public async Task SendAsync(string text, CancellationToken cancellationToken) =>
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Everything received so far once it contains <paramref name="marker"/>.</summary>
    public async Task<string> ReadUntilAsync(string marker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new byte[4096];
        while (!_received.ToString().Contains(marker, StringComparison.Ordinal))
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No '{marker}' within {timeout.TotalSeconds} s; received: {_received}");
            }

            if (read == 0)
            {
                throw new InvalidOperationException($"The connection closed before '{marker}'; received: {_received}");
            }

            _received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return _received.ToString();
    }

    private async Task<string> ReadToEndAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        var buffer = new byte[4096];
        int read;
        while ((read = await _stream.ReadAsync(buffer, deadline.Token)) > 0)
        {
            _received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return _received.ToString();
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
