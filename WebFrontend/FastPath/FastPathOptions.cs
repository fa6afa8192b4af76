using System.ComponentModel.DataAnnotations;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// The <c>FastPath</c> configuration section: everything in this folder exists only to make a stream
/// cost less CPU or memory than the plain pattern (endpoint, opening, writer, Kestrel's response pipe)
/// — the README's Benchmark section measures each part against it.
/// </summary>
public sealed class FastPathOptions
{
    public const string SectionName = "FastPath";

    /// <summary>
    /// False leaves the WebFrontend exactly as without <c>AddFastPath()</c>: the plain pattern, and
    /// nothing of this folder registered.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Write plain-text HTTP/1.1 streams straight to the connection's socket, so a batch of events is
    /// one send per client (see <see cref="SocketResponse"/>). False writes them through Kestrel's
    /// response pipe.
    /// </summary>
    public bool WriteToSocket { get; set; } = true;

    /// <summary>
    /// Answer a plain HTTP/1.1 connection whose first request is <c>GET /events</c> below Kestrel's
    /// HTTP layer, for less memory per idle stream (see <see cref="TickStreamConnections"/>). Such
    /// streams bypass middleware, so it stands aside by itself when the app protects <c>/events</c>
    /// (see <see cref="FastPathEligibility"/>). Needs <see cref="WriteToSocket"/>.
    /// </summary>
    public bool AnswerBelowHttp { get; set; } = true;

    /// <summary>
    /// 0 (the default) sends each live event as soon as it is queued. Above 0, live events wait up
    /// to this long and every client's queued events leave together in one write: fewer sends, so
    /// less CPU per event, for up to this much more latency (see <see cref="FlushWorker"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01",
        ErrorMessage = "FastPath:FlushInterval must be between 0 and 1 second.")]
    public TimeSpan FlushInterval { get; set; }
}
