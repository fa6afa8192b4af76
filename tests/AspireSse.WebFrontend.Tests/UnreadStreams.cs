using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// Streams whose clients send a <c>GET /events</c> head (optionally resuming, optionally followed by
/// more bytes), read the response up to its <c>hello</c> and then nothing more: what the replica
/// holds for each is then all it can hold for a client that has stopped reading.
/// </summary>
public sealed class UnreadStreams : IAsyncDisposable
{
    private readonly List<RawHttp> _connections = [];
    private readonly List<Task> _sends = [];

    public static async Task<UnreadStreams> OpenAsync(ServiceProcess frontend, int count, CancellationToken cancellationToken,
        byte[]? sendAfterHead = null, string? lastEventId = null, int? receiveBufferBytes = null)
    {
        var head = "GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n" +
            (lastEventId is null ? "" : $"Last-Event-ID: {lastEventId}\r\n") + "\r\n";
        var streams = new UnreadStreams();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count),
                new ParallelOptions { MaxDegreeOfParallelism = 20, CancellationToken = cancellationToken },
                async (_, ct) =>
                {
                    var connection = await RawHttp.ConnectAsync(frontend, ct, receiveBufferBytes);
                    lock (streams._connections)
                    {
                        streams._connections.Add(connection);
                    }

                    await connection.SendAsync(head, ct);
                    if (sendAfterHead is not null)
                    {
                        // Not awaited: once the replica stops reading, the rest waits in TCP until the connection closes.
                        var send = SendUntilClosedAsync(connection, sendAfterHead);
                        lock (streams._connections)
                        {
                            streams._sends.Add(send);
                        }
                    }

                    await connection.ReadUntilAsync("event: hello", Eventually.Timeout, ct);
                });
            return streams;
        }
        catch
        {
            await streams.DisposeAsync();
            throw;
        }
    }

    private static async Task SendUntilClosedAsync(RawHttp connection, byte[] bytes)
    {
        try
        {
            await connection.SendAsync(bytes, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Closed by the test before the replica read it all.
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        await Task.WhenAll(_sends);
    }
}
