using System.Globalization;
using System.Text;
using AspireSse.WebFrontend.Streaming;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// An SSE response written straight to the connection's socket instead of through Kestrel's
/// response pipe: a batch of events is one non-blocking gathered send of the shared frames, with no
/// copy into Kestrel's buffers and no hand-off to its send loop, so each delivered event costs the
/// server less CPU (see the README's Benchmark section, measured with the same build and
/// <c>FastPath:WriteToSocket</c> false and true).
/// </summary>
/// <remarks>
/// <para>
/// Kestrel never starts this response: the head below is written by us, the body is delimited by
/// closing the connection (so every client gets the same bytes per event, with no chunk framing),
/// and the request ends with <see cref="HttpContext.Abort"/> so Kestrel writes nothing after it.
/// The price is that response headers added by middleware (<c>OnStarting</c>) are not sent on this
/// endpoint.
/// </para>
/// <para>
/// Used only where it is safe: plain-text HTTP/1.1 on Kestrel's socket transport, the response not
/// started. An HTTP/1.1 client sends a request only after it has read the previous response on that
/// connection (no browser or HttpClient pipelines), so nothing of Kestrel's can still be queued
/// ahead of our bytes (<see cref="SocketOutputFactory"/> checks all of it). HTTPS, HTTP/2 and
/// HTTP/3 use Kestrel's pipe, as does <c>FastPath:WriteToSocket=false</c>.
/// </para>
/// </remarks>
internal static class SocketResponse
{
    // The head differs only in its Date, so it is built once a second and shared by every stream
    // that starts in that second (otherwise a burst of reconnecting clients makes a copy each).
    private static DatedHead? s_head;

    /// <summary>The status line and <see cref="TickStreamWriter.Headers"/>, as Kestrel would write them. Not to be modified.</summary>
    public static byte[] Head(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        if (s_head is { } cached && cached.Second == second)
        {
            return cached.Bytes;
        }

        var head = new StringBuilder("HTTP/1.1 200 OK\r\n");
        foreach (var (name, value) in TickStreamWriter.Headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        // The body ends when the connection does.
        head.Append("Connection: close\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Date: {now:r}\r\n");
        head.Append("Server: Kestrel\r\n\r\n");
        var bytes = Encoding.ASCII.GetBytes(head.ToString());
        s_head = new DatedHead(second, bytes);
        return bytes;
    }

    private sealed record DatedHead(long Second, byte[] Bytes);
}
