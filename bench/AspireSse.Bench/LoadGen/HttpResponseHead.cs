using System.Net.Sockets;
using System.Text;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// The status line and headers of a response read from a raw socket, plus whatever body bytes came
/// in the same reads. Parsed as a string: it happens once per connection, not per event.
/// </summary>
public sealed record HttpResponseHead(int StatusCode, bool Chunked, int BodyOffset, int BodyCount, string Text)
{
    public static async Task<HttpResponseHead> ReadAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("The server closed the connection before answering.");
            }

            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var text = Encoding.ASCII.GetString(buffer, 0, end);
                var status = text.Length >= 12 && int.TryParse(text.AsSpan(9, 3), out var code) ? code : 0;
                var chunked = text.Split("\r\n").Any(h =>
                    h.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase)
                    && h.Contains("chunked", StringComparison.OrdinalIgnoreCase));
                return new HttpResponseHead(status, chunked, end + 4, filled - end - 4, text);
            }

            if (filled == buffer.Length)
            {
                throw new InvalidDataException($"The response head is longer than {buffer.Length} bytes.");
            }
        }
    }
}
