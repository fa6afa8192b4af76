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
        var started = 0;
        var twoStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var reads = Enumerable.Range(0, 6).Select(_ => limit.RunAsync(async () =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                twoStarted.TrySetResult();
            }

            await release.Task;
            return true;
        }, TestContext.Current.CancellationToken)).ToList();

        await twoStarted.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        // None can finish before the release, so any third to start would be running beside the two.
        Assert.Equal(2, Volatile.Read(ref started));
        release.SetResult();
        Assert.All(await Task.WhenAll(reads).WaitAsync(Timeout, TestContext.Current.CancellationToken), Assert.True);
        Assert.Equal(6, started);
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
}
