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
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s waiting for {what} (last seen: {Describe(last)}).");
        }
    }

    /// <summary>What a probe last returned, readable in a failure message: tuples and lists spelled out, briefly.</summary>
    private static string Describe(object? value, int depth = 0)
    {
        const int Items = 3, Length = 600;
        var text = value switch
        {
            null => "null",
            string s => s,
            _ when depth > 2 => value.ToString() ?? "",
            System.Runtime.CompilerServices.ITuple tuple =>
                $"({string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Describe(tuple[i], depth + 1)))})",
            System.Collections.IEnumerable items => DescribeItems(items.Cast<object?>().ToList(), depth),
            _ => value.ToString() ?? "",
        };
        return text.Length <= Length ? text : text[..Length] + "…";

        static string DescribeItems(List<object?> items, int depth) =>
            $"{items.Count} item(s)" + (items.Count == 0 ? "" :
                $": [{string.Join("; ", items.Take(Items).Select(i => Describe(i, depth + 1)))}{(items.Count > Items ? "; …" : "")}]");
    }
}
