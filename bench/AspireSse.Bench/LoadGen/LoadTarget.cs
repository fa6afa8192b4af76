namespace AspireSse.Bench.LoadGen;

/// <summary>How a client talks to the system under test.</summary>
public enum ClientProtocol
{
    /// <summary>HTTP/1.1 <c>GET</c> answered with <c>text/event-stream</c> (ours, nchan).</summary>
    ServerSentEvents,

    /// <summary>SignalR's JSON hub protocol over a WebSocket.</summary>
    SignalR,
}

/// <summary>Where the load generator connects, and which events carry ticks.</summary>
/// <param name="Url">The stream's URL on a loopback address.</param>
/// <param name="TickEvent">For SSE, the <c>event:</c> name of tick events; other events (hello, heartbeat) are not counted.</param>
/// <param name="Reconnect">
/// For SSE, a stream that ends is opened again with <c>Last-Event-ID</c>, as a browser's EventSource
/// does (the reconnect storm); otherwise a stream the server ends counts as dropped.
/// </param>
public sealed record LoadTarget(ClientProtocol Protocol, Uri Url, string TickEvent = "tick", bool Reconnect = false);
