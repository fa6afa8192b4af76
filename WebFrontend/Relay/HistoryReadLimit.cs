using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// At most <see cref="TickStreamOptions.ConcurrentHistoryReads"/> replay reads of the history stream
/// at once on this replica; the others wait their turn without holding a thread. A storm of resumes
/// that the recent ticks cannot serve then reaches Redis a few reads at a time, instead of queueing
/// thousands of scripts in front of the subscriber's backfill and the EventService's writes. A place
/// is held for one page's read, not for a whole replay, so a long replay, or a client that replays
/// over and over, takes its turn page by page among the others.
/// </summary>
public sealed class HistoryReadLimit(IOptions<TickStreamOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _reads = new(options.Value.ConcurrentHistoryReads);

    /// <summary>Runs one read once a place is free.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        await _reads.WaitAsync(cancellationToken);
        try
        {
            return await read();
        }
        finally
        {
            _reads.Release();
        }
    }

    public void Dispose() => _reads.Dispose();
}
