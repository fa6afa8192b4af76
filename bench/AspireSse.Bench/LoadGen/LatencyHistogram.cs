using System.Numerics;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// Publish-to-receive latencies in microseconds, recorded lock-free from every connection's read
/// loop. Buckets are exact below 64 µs and then 32 per power of two (at most ~3 % wide), so
/// percentiles cost a fixed 10 KB however many events are recorded.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Linear = 2 * SubBuckets;
    private const int Buckets = Linear + (40 * SubBuckets);

    private readonly long[] _counts = new long[Buckets];
    private long _max;
    private volatile bool _enabled;

    /// <summary>Only events received while enabled are recorded: the measurement window.</summary>
    public bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    public long Count => _counts.Sum();

    public double MaxMicroseconds => Interlocked.Read(ref _max);

    public void Record(long microseconds)
    {
        if (!_enabled)
        {
            return;
        }

        // The publisher's and this machine's clocks are the same clock; a negative value is rounding.
        microseconds = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[IndexOf(microseconds)]);
        var max = Interlocked.Read(ref _max);
        while (microseconds > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, microseconds, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The value below which <paramref name="percentile"/> % of the recorded latencies fall (bucket midpoint).</summary>
    public double Percentile(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(total * percentile / 100);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= Math.Max(1, rank))
            {
                var (low, width) = BucketOf(i);
                return Math.Min(low + (width / 2.0), MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    /// <summary>The counts per bucket and the maximum, to be added into another histogram (<see cref="Add"/>).</summary>
    public (long[] Counts, long Max) Snapshot()
    {
        var counts = new long[Buckets];
        for (var i = 0; i < Buckets; i++)
        {
            counts[i] = Interlocked.Read(ref _counts[i]);
        }

        return (counts, Interlocked.Read(ref _max));
    }

    /// <summary>Adds another histogram's <see cref="Snapshot"/>: the load generator's processes report theirs to the benchmark.</summary>
    public void Add(long[] counts, long max)
    {
        if (counts.Length != Buckets)
        {
            throw new ArgumentException($"A snapshot has {Buckets} buckets, not {counts.Length}.", nameof(counts));
        }

        for (var i = 0; i < Buckets; i++)
        {
            Interlocked.Add(ref _counts[i], counts[i]);
        }

        if (max > Interlocked.Read(ref _max))
        {
            Interlocked.Exchange(ref _max, max);
        }
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Interlocked.Exchange(ref _max, 0);
    }

    private static int IndexOf(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - SubBucketBits;
        var index = Linear + ((shift - 1) * SubBuckets) + (int)((value >> shift) - SubBuckets);
        return Math.Min(index, Buckets - 1);
    }

    private static (long Low, long Width) BucketOf(int index)
    {
        if (index < Linear)
        {
            return (index, 1);
        }

        var shift = ((index - Linear) / SubBuckets) + 1;
        var top = ((index - Linear) % SubBuckets) + SubBuckets;
        return ((long)top << shift, 1L << shift);
    }
}
