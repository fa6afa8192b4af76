using AspireSse.Contracts;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Looks, when a tick arrives that this replica already relayed, for proof that Redis came back with
/// older data (<see cref="TickRollback"/>). A stale tick is usually harmless — one the backfill relayed
/// before its own message came, the same tick again — but it is also what a Redis restored from an
/// older copy sends: old ids again, with new content. The proof is Redis itself holding, under an id
/// this replica relayed, content other than what it relayed; then the epoch is retired, so every client
/// gets a <c>reset</c> instead of silence. A message Redis does not hold as it is proves nothing, so a
/// forged one cannot make a replica retire anything.
/// </summary>
/// <remarks>
/// What this replica relayed is looked up in its recent ticks (<see cref="RecentTicks"/>): a rollback
/// deeper than that window is found once the renumbering reaches it, and with the window turned off
/// only the EventService's own check is left.
/// </remarks>
public sealed partial class RollbackCheck(TickHistory history, RecentTicks recent, TimeProvider time, ILogger<RollbackCheck> logger)
{
    // A stream of stale messages with new content then costs Redis one read per interval at most.
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private long _lastCheck;

    /// <summary>
    /// Called by the subscriber, one message at a time, with a <paramref name="stale"/> tick and the
    /// last tick this replica relayed.
    /// </summary>
    public async Task CheckAsync(Tick stale, TickPosition relayed)
    {
        if (recent.Find(stale.Epoch, stale.Sequence) is not { Tick: var shown } || shown == stale)
        {
            return;
        }

        var now = time.GetTimestamp();
        if (_lastCheck != 0 && time.GetElapsedTime(_lastCheck, now) < Interval)
        {
            return;
        }

        _lastCheck = now;
        var seen = new TickId(relayed.Epoch, relayed.Sequence);
        try
        {
            var held = await history.ReadPageAsync(stale.Sequence, stale.Sequence, count: 1, limit: null, CancellationToken.None);
            if (held.Ticks is [var stored] && stored == stale && await history.RetireEpochIfBehindAsync(seen))
            {
                LogRolledBack(new TickId(stale.Epoch, stale.Sequence).ToString(), seen.ToString());
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The next stale tick asks again.
            LogCheckFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis came back with older data: it holds tick {Rewritten} with other content than this replica relayed, and its count is behind tick {Relayed}. Retired the epoch; the EventService starts a new one, and every client gets a reset.")]
    private partial void LogRolledBack(string rewritten, string relayed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask Redis whether it came back with older data; asking again at the next stale tick")]
    private partial void LogCheckFailed(Exception exception);
}
