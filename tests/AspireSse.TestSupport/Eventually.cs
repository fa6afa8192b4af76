namespace AspireSse.TestSupport;

/// <summary>Waits for a condition that something else makes true, polling briefly, with a deadline.</summary>
public static class Eventually
{
    /// <summary>How long a test waits, unless it says otherwise, for what a service should do within moments.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what,
        CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        T last = default!;
        try
        {
            while (true)
            {
                last = await probe();
                if (done(last))
                {
                    return last;
                }

                await Task.Delay(50, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what} (last seen: {last}).");
        }
    }
}
