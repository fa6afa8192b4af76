using System.Text;
using AspireSse.Bench.LoadGen;

namespace AspireSse.Bench.Tests;

/// <summary>The load generator's parsing, without a server: chunked SSE, split anywhere.</summary>
public sealed class SseReadingTests
{
    private const string Stream =
        "event: hello\ndata: {\"replica\":\"webfrontend-1\",\"epoch\":\"3fa81c02\",\"sequence\":0}\nretry: 1480\n\n" +
        ": a comment\r\n" +
        "event: tick\r\ndata: {\"epoch\":\"3fa81c02\",\"sequence\":1,\"publishedAt\":\"2026-11-23T19:06:25.401059+00:00\",\"replica\":\"webfrontend-1\",\"replayed\":false}\r\nid: 3fa81c02-1\r\n\r\n" +
        "event: heartbeat\ndata: {\"replica\":\"webfrontend-1\",\"sequence\":1}\n\n" +
        "id: 1700000000:0\nevent: tick\ndata: {\"epoch\":\"3fa81c02\",\"sequence\":2,\n" +
        "data: \"publishedAt\":\"2026-11-23T19:06:25.501059+00:00\"}\n\n";

    [Fact]
    public void EveryTickIsFoundWhereverTheChunksAndReadsSplitTheStream()
    {
        var body = Encoding.UTF8.GetBytes(Stream);
        foreach (var chunkSize in new[] { 1, 7, 64, body.Length })
        {
            var wire = Chunked(body, chunkSize);
            foreach (var readSize in new[] { 1, 3, 50, wire.Length })
            {
                var ticks = ReadTicks(wire, readSize);
                Assert.Equal([1L, 2L], ticks.Select(t => t.Sequence));
                Assert.Equal(new DateTimeOffset(2026, 11, 23, 19, 6, 25, TimeSpan.Zero).AddTicks(5_010_590), ticks[1].PublishedAt);
            }
        }
    }

    [Fact]
    public void TheDecoderReportsTheEndOfAChunkedResponse()
    {
        var decoder = new ChunkedDecoder(chunked: true);
        ReadOnlySpan<byte> wire = "3\r\nabc\r\n0\r\n\r\n"u8;

        Assert.True(decoder.TryNext(ref wire, out var body));
        Assert.Equal("abc", Encoding.ASCII.GetString(body));
        Assert.False(decoder.TryNext(ref wire, out _));
        Assert.True(decoder.IsDone);
    }

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

    private static byte[] Chunked(byte[] body, int chunkSize)
    {
        var wire = new MemoryStream();
        for (var offset = 0; offset < body.Length; offset += chunkSize)
        {
            var length = Math.Min(chunkSize, body.Length - offset);
            wire.Write(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
            wire.Write(body, offset, length);
            wire.Write("\r\n"u8);
        }

        return wire.ToArray();
    }

    private static List<(long Sequence, DateTimeOffset PublishedAt)> ReadTicks(byte[] wire, int readSize)
    {
        var decoder = new ChunkedDecoder(chunked: true);
        var reader = new SseEventReader();
        var ticks = new List<(long, DateTimeOffset)>();
        for (var offset = 0; offset < wire.Length; offset += readSize)
        {
            ReadOnlySpan<byte> read = wire.AsSpan(offset, Math.Min(readSize, wire.Length - offset));
            while (decoder.TryNext(ref read, out var body))
            {
                while (reader.TryRead(ref body, out var eventType, out var data))
                {
                    if (eventType.SequenceEqual("tick"u8) && TickPayload.TryRead(data, out var sequence, out var publishedAt))
                    {
                        ticks.Add((sequence, publishedAt));
                    }
                }
            }
        }

        return ticks;
    }
}
