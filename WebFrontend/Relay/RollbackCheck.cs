using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Asks Redis, when a tick arrives that this replica already relayed, whether Redis came back with
/// older data (<see cref="TickRollback"/>). A stale tick is usually harmless — one the backfill relayed
/// before its own message came — but it is also what a Redis restored from an older copy sends: old
/// ids again, with new content. Redis's count tells the two apart, and if it is behind what this
/// replica relayed the epoch is retired, so every client gets a <c>reset</c> instead of silence.
/// </summary>
public sealed partial class RollbackCheck(TickHistory history, TimeProvider time, ILogger<RollbackCheck> logger)
{
    // A stream of stale messages then costs Redis one script per interval at most.
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private long _lastCheck;

    /// <summary>Called by the subscriber, one message at a time, with the last tick this replica relayed.</summary>
    public async Task CheckAsync(TickPosition relayed)
    {
        var now = time.GetTimestamp();
        if (_lastCheck != 0 && time.GetElapsedTime(_lastCheck, now) < Interval)
        {
            return;
        }

        _lastCheck = now;
        var seen = new TickId(relayed.Epoch, relayed.Sequence);
        try
        {
            if (await history.RetireEpochIfBehindAsync(seen))
            {
                LogRolledBack(seen.ToString());
            }
        }
        catch (RedisException ex)
        {
            // The next stale tick asks again.
            LogCheckFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis came back with older data: its count is behind tick {Relayed}, which this replica relayed. Retired the epoch; the EventService starts a new one, and every client gets a reset.")]
    private partial void LogRolledBack(string relayed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask Redis whether it came back with older data; asking again at the next stale tick")]
    private partial void LogCheckFailed(Exception exception);
}
