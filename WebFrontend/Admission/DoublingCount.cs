namespace AspireSse.WebFrontend.Admission;

/// <summary>
/// A count of something that can happen once per connection in a flood (a refusal, a cut), for a
/// log line at the 1st, 2nd, 4th, 8th… time: a flood shows in the log without a line per connection.
/// </summary>
internal sealed class DoublingCount
{
    private long _count;

    /// <summary>Counts one more; true when the new count, <paramref name="count"/>, is a power of two.</summary>
    public bool Increment(out long count)
    {
        count = Interlocked.Increment(ref _count);
        return (count & (count - 1)) == 0;
    }
}
