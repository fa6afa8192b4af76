using AspireSse.Contracts;
using AspireSse.WebFrontend.Admission;
using AspireSse.WebFrontend.Relay;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Streaming;

/// <summary>
/// Checks a request for <c>/events</c> and registers its client: the id to resume after must parse
/// and not be ahead of the latest tick, and the replica must be below its stream cap. Both ways in
/// (<see cref="TickStreamEndpoints"/> and <see cref="FastPath.TickStreamConnections"/>) decide here,
/// so they cannot disagree about what is accepted.
/// </summary>
internal sealed partial class TickStreamOpener(
    TickBroadcaster broadcaster,
    TickHistory history,
    AdmissionLimits limits,
    IOptions<TickStreamOptions> options,
    TimeProvider time,
    ILogger<TickStreamOpener> logger)
{
    private readonly DoublingCount _redisUnanswered = new();

    /// <param name="lastEventId">The id to resume after, from the header or the query; null for a new stream.</param>
    /// <param name="clientLeft">Cancelled when the client goes away: its opening is then abandoned.</param>
    /// <returns>
    /// The registered client, or a refusal; a stream that does not open is never left registered,
    /// whether it was refused, Redis failed or the client left.
    /// </returns>
    public async ValueTask<TickStreamOpening> OpenAsync(string? lastEventId, CancellationToken clientLeft)
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
        var opened = false;
        try
        {
            if (resumeAfter is { } resume && client.StartEpoch is { } epoch
                && (resume.Epoch is null || resume.Epoch == epoch) && resume.Sequence > client.StartSequence)
            {
                // Ahead of this replica. Another replica may simply be a few ms ahead; only an id beyond
                // what was ever published is an error. Only Redis knows, and a Redis that does not
                // answer must not hold the client (nor its place in the registry) for longer than
                // the bound.
                var (currentEpoch, counter) = await history.ReadPositionAsync()
                    .WaitAsync(options.Value.ResumeCheckTimeout, time, clientLeft);
                if (currentEpoch == epoch && resume.Sequence > counter)
                {
                    return Refuse(InvalidId($"'{lastEventId}' is ahead of the latest tick ({new TickId(epoch, counter)})."));
                }
            }

            opened = true;
            return new TickStreamOpening(client, resumeAfter, null);
        }
        catch (OperationCanceledException) when (clientLeft.IsCancellationRequested)
        {
            return default;
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
            if (_redisUnanswered.Increment(out var count))
            {
                LogRedisUnanswered(ex as RedisException, options.Value.ResumeCheckTimeout.TotalMilliseconds, count);
            }

            return Refuse(new StreamRefusal(StatusCodes.Status503ServiceUnavailable, "Redis did not answer",
                "Redis did not answer in time, so this replica cannot check the id to resume after. Retry later."));
        }
        finally
        {
            if (!opened)
            {
                broadcaster.Leave(client);
            }
        }
    }

    private static TickStreamOpening Refuse(StreamRefusal refusal) => new(null, null, refusal);

    private static StreamRefusal InvalidId(string detail) =>
        new(StatusCodes.Status400BadRequest, "Invalid Last-Event-ID", detail);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Refused to open a stream: Redis did not answer, within {TimeoutMs} ms (TickStream:ResumeCheckTimeout), whether the id it resumes after was published ({Count} so far)")]
    private partial void LogRedisUnanswered(Exception? exception, double timeoutMs, long count);
}
