namespace AspireSse.WebFrontend.Relay;

/// <summary>How a stream is written; the value of the <c>aspiresse.sse.path</c> tag.</summary>
public static class TickStreamPath
{
    /// <summary>Answered below HTTP, as the connection's first request (<c>TickStreamConnections</c>).</summary>
    public const string Connection = "connection";

    /// <summary>Through the HTTP pipeline, then written straight to the socket (<c>SocketResponse</c>).</summary>
    public const string Socket = "socket";

    /// <summary>Through the HTTP pipeline and Kestrel's response pipe (HTTPS, HTTP/2, or configured so).</summary>
    public const string Pipe = "pipe";
}
