using AspireSse.WebFrontend.Relay;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Tests;

public sealed class HistoryReadLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task NoMoreReadsThanTheLimitRunAtOnceAndTheRestWaitTheirTurn()
    {
        using var limit = new HistoryReadLimit(Options.Create(new TickStreamOptions { ConcurrentHistoryReads = 2 }));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var peak = 0;
        var started = 0;
        var twoStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var reads = Enumerable.Range(0, 6).Select(_ => limit.RunAsync(async () =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            if (Interlocked.Increment(ref started) == 2)
            {
                twoStarted.TrySetResult();
            }

            await release.Task;
            Interlocked.Decrement(ref running);
            return true;
        }, TestContext.Current.CancellationToken)).ToList();

        await twoStarted.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(2, Volatile.Read(ref started));
        release.SetResult();
        Assert.All(await Task.WhenAll(reads).WaitAsync(Timeout, TestContext.Current.CancellationToken), Assert.True);
        Assert.Equal(6, started);
        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task AReadWaitingForAPlaceEndsWhenItsClientGoesAway()
    {
        using var limit = new HistoryReadLimit(Options.Create(new TickStreamOptions { ConcurrentHistoryReads = 1 }));
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = limit.RunAsync(() => release.Task, TestContext.Current.CancellationToken);
        using var gone = new CancellationTokenSource();

        var waiting = limit.RunAsync(() => Task.FromResult(true), gone.Token);
        await gone.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        release.SetResult(true);
        Assert.True(await holding.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        // The place the cancelled read never took is still there.
        Assert.True(await limit.RunAsync(() => Task.FromResult(true), TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
