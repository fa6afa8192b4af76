using AspireSse.Bench.LoadGen;

namespace AspireSse.Bench.Tests;

/// <summary>The load generator's parsing of ticks and its latency histogram, without a server.</summary>
public sealed class TickPayloadTests
{
    [Fact]
    public void ATickWithoutAPublishTimeIsNotATick()
    {
        Assert.False(TickPayload.TryRead("{\"sequence\":3}"u8, out _, out _));
        Assert.False(TickPayload.TryRead("{\"sequence\":"u8, out _, out _));
        Assert.True(TickPayload.TryRead(
            "{\"type\":1,\"target\":\"tick\",\"arguments\":[{\"sequence\":3,\"publishedAt\":\"2026-11-23T19:06:25Z\"}]}"u8, out var sequence, out _));
        Assert.Equal(3, sequence);
    }

    [Fact]
    public void LatencyPercentilesAreWithinABucketOfTheTruth()
    {
        var histogram = new LatencyHistogram { Enabled = true };
        for (var us = 1; us <= 100_000; us++)
        {
            histogram.Record(us);
        }

        Assert.InRange(histogram.Percentile(50), 50_000 * 0.97, 50_000 * 1.03);
        Assert.InRange(histogram.Percentile(99), 99_000 * 0.97, 99_000 * 1.03);
        Assert.Equal(100_000, histogram.MaxMicroseconds);
    }
}
