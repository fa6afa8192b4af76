using AspireSse.Contracts;
using AspireSse.WebFrontend.Admission;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>Why a stream was not opened: an HTTP status, a title and a reason for the client.</summary>
internal sealed record StreamRefusal(int StatusCode, string Title, string Detail);

/// <summary>A stream about to start (<see cref="Client"/> set), or the reason it may not (<see cref="Refusal"/>).</summary>
internal readonly record struct TickStreamOpening(TickClient? Client, TickId? ResumeAfter, StreamRefusal? Refusal)
{
    /// <summary>
    /// Checks a request for <c>/events</c> and registers its client: the id to resume after must
    /// parse and not be ahead of the latest tick, and the replica must be below its stream cap.
    /// Both ways in (<see cref="TickStreamEndpoints"/> and <see cref="TickStreamConnections"/>)
    /// decide here, so they cannot disagree about what is accepted.
    /// </summary>
    public static async ValueTask<TickStreamOpening> OpenAsync(string? lastEventId, TickBroadcaster broadcaster, TickHistory history,
        AdmissionLimits limits)
    {
        TickId? resumeAfter = null;
        if (lastEventId is not null)
        {
            if (!TickId.TryParse(lastEventId, out var error, out var id))
            {
                return Refuse(InvalidId(error));
            }

            resumeAfter = id;
        }

        if (resumeAfter is not null && broadcaster.Epoch is null)
        {
            // Just started, and not yet told by Redis where the numbering stands: a stream opened now
            // could not replay what the client missed, and would go on from the next live tick.
            return Refuse(new StreamRefusal(StatusCodes.Status503ServiceUnavailable, "Starting",
                "This replica does not know the latest tick yet, so it cannot resume a stream. Retry later."));
        }

        if (limits.IsFull(broadcaster.ClientCount))
        {
            return Refuse(new StreamRefusal(StatusCodes.Status503ServiceUnavailable, "Too many streams",
                $"This replica already serves its maximum of {limits.MaxStreams} streams. Retry later."));
        }

        var client = broadcaster.Connect();
        if (resumeAfter is { } resume && client.StartEpoch is { } epoch
            && (resume.Epoch is null || resume.Epoch == epoch) && resume.Sequence > client.StartSequence)
        {
            // Ahead of this replica. Another replica may simply be a few ms ahead; only an id beyond
            // what was ever published is an error.
            var (currentEpoch, counter) = await history.ReadPositionAsync();
            if (currentEpoch == epoch && resume.Sequence > counter)
            {
                broadcaster.Leave(client);
                return Refuse(InvalidId($"'{lastEventId}' is ahead of the latest tick ({new TickId(epoch, counter)})."));
            }
        }

        return new TickStreamOpening(client, resumeAfter, null);
    }

    private static TickStreamOpening Refuse(StreamRefusal refusal) => new(null, null, refusal);

    private static StreamRefusal InvalidId(string detail) =>
        new(StatusCodes.Status400BadRequest, "Invalid Last-Event-ID", detail);
}
