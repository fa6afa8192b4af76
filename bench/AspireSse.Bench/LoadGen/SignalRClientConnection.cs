using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// A SignalR client speaking the JSON hub protocol over a WebSocket it upgrades itself, so it is as
/// lean as the SSE client: the official client's per-connection machinery would weigh on the
/// shared CPU and skew the comparison. It answers the protocol as the official client does:
/// handshake first, then a ping every 15 s so the hub keeps the connection.
/// </summary>
/// <param name="source">The local address to connect from (see <see cref="LoadGenerator"/>), or null for the kernel's choice.</param>
public sealed class SignalRClientConnection(LoadTarget target, ConnectionTally tally, LatencyHistogram latency, IPAddress? source)
    : ClientConnection(target, tally, latency)
{
    private const byte RecordSeparator = 0x1e;
    private static readonly byte[] Handshake = "{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray();
    private static readonly byte[] Ping = "{\"type\":6}\u001e"u8.ToArray();

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private WebSocket? _webSocket;

    protected override async Task ReadAsync(CancellationToken connectCancellation)
    {
        var url = Target.Url;
        if (source is not null)
        {
            LoadGenerator.BindFrom(_socket, source);
        }

        await _socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(url.Host), url.Port), connectCancellation);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var upgrade = Encoding.ASCII.GetBytes(
            $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");
        await _socket.SendAsync(upgrade, SocketFlags.None, connectCancellation);

        var buffer = new byte[BufferSize];
        var head = await HttpResponseHead.ReadAsync(_socket, buffer, connectCancellation);
        if (head.StatusCode != 101 || head.BodyCount != 0)
        {
            throw new IOException($"WebSocket upgrade to {url} answered {head.Text.Split("\r\n")[0]}");
        }

        // SignalR pings at its own level; WebSocket keep-alive frames would be extra traffic.
        var webSocket = WebSocket.CreateFromStream(new NetworkStream(_socket, ownsSocket: false),
            new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        _webSocket = webSocket;
        await webSocket.SendAsync(Handshake, WebSocketMessageType.Text, true, connectCancellation);

        var filled = 0;
        var handshakeDone = false;
        while (true)
        {
            var result = await webSocket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var now = DateTime.UtcNow.Ticks;
            CountBytes(result.Count);
            filled += result.Count;
            var records = buffer.AsSpan(0, filled);
            int separator;
            while ((separator = records.IndexOf(RecordSeparator)) >= 0)
            {
                var record = records[..separator];
                records = records[(separator + 1)..];
                if (!handshakeDone)
                {
                    // The handshake response: "{}", or an "error" member.
                    if (record.IndexOf("\"error\""u8) >= 0)
                    {
                        throw new IOException($"SignalR handshake failed: {Encoding.UTF8.GetString(record)}");
                    }

                    handshakeDone = true;
                    MarkOpened();
                }
                else if (record.IndexOf("\"target\":\"tick\""u8) >= 0)
                {
                    OnTickJson(record, now);
                }
            }

            // Keep a partial record for the next read.
            records.CopyTo(buffer);
            filled = records.Length;
            if (filled == buffer.Length)
            {
                throw new InvalidDataException($"A SignalR record is longer than {buffer.Length} bytes.");
            }
        }
    }

    /// <summary>Sends a protocol ping; the load generator calls it for every connection every 15 s.</summary>
    public async Task PingAsync()
    {
        if (_webSocket is { State: WebSocketState.Open } webSocket)
        {
            await webSocket.SendAsync(Ping, WebSocketMessageType.Text, true, CancellationToken.None);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _socket.Dispose();
            _webSocket?.Dispose();
        }
    }
}
