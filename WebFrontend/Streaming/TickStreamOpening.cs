using AspireSse.Contracts;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>Why a stream was not opened: an HTTP status, a title and a reason for the client.</summary>
internal sealed record StreamRefusal(int StatusCode, string Title, string Detail);

/// <summary>
/// What <see cref="TickStreamOpener"/> decided: a stream about to start (<see cref="Client"/> set),
/// the reason it may not (<see cref="Refusal"/>), or neither when the client left before it was decided.
/// </summary>
internal readonly record struct TickStreamOpening(TickClient? Client, TickId? ResumeAfter, StreamRefusal? Refusal)
{
    /// <summary>The client left while its stream was being opened: there is nobody to answer.</summary>
    public bool ClientLeft => Client is null && Refusal is null;
}
