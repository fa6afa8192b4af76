using System.Buffers;
using System.Text;
using AspireSse.WebFrontend.FastPath;

namespace AspireSse.WebFrontend.Tests;

/// <summary>Which connection heads are answered below HTTP, and which are left to Kestrel.</summary>
public sealed class StreamRequestHeadTests
{
    [Fact]
    public void ABrowsersReconnectIsRecognisedWithItsIdAndTraceContext()
    {
        const string head = "GET /events HTTP/1.1\r\nHost: localhost:8080\r\naccept: text/event-stream\r\n" +
            "last-event-id: 3fa81c02-42\r\nTraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
            "tracestate: k=v\r\nCache-Control: no-cache\r\n\r\n";

        Assert.Equal(StreamRequestHead.Outcome.Ours, StreamRequestHead.TryParse(Bytes(head + "trailing"), out var parsed));

        Assert.Equal(Encoding.ASCII.GetByteCount(head), parsed!.Length);
        Assert.Equal("3fa81c02-42", parsed.LastEventId);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", parsed.TraceParent);
        Assert.Equal("k=v", parsed.TraceState);
    }

    [Theory]
    [InlineData("/events?lastEventId=3fa81c02-7", "3fa81c02-7")]
    [InlineData("/events?lasteventid=12&x=1", "12")]
    [InlineData("/events?lastEventId=%2042", " 42")]
    [InlineData("/events?other=1", null)]
    [InlineData("/events", null)]
    public void TheQueryIdIsReadAndDecoded(string target, string? id)
    {
        Assert.Equal(StreamRequestHead.Outcome.Ours, StreamRequestHead.TryParse(Bytes($"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n"), out var parsed));
        Assert.Equal(id, parsed!.LastEventId);
    }

    [Fact]
    public void TheHeaderIdWinsOverTheQuery()
    {
        var head = Bytes("GET /events?lastEventId=e-1 HTTP/1.1\r\nHost: h\r\nLast-Event-ID: e-9\r\n\r\n");
        Assert.Equal(StreamRequestHead.Outcome.Ours, StreamRequestHead.TryParse(head, out var parsed));
        Assert.Equal("e-9", parsed!.LastEventId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET")]
    [InlineData("GET /events")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\n")]
    public void AnIncompleteHeadWaitsForMoreBytes(string text) =>
        Assert.Equal(StreamRequestHead.Outcome.NeedMore, StreamRequestHead.TryParse(Bytes(text), out _));

    [Theory]
    [InlineData("POST /events HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events/stats HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /eventsx HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /Events HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events HTTP/1.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nLast-Event-ID: e-1\r\nLast-Event-ID: e-2\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nLast-Event-ID:\r\n\r\n")]
    [InlineData("GET /events?lastEventId= HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events?lastEventId=1&lastEventId=2 HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nBad Name: a\r\n\r\n")]
    [InlineData("GET /events HTTP/1.1\r\nHost: h\r\nX: caf\u00e9\r\n\r\n")]
    [InlineData("GET  /events HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001")]
    public void AnythingElseIsLeftToKestrel(string text) =>
        Assert.Equal(StreamRequestHead.Outcome.NotOurs, StreamRequestHead.TryParse(Bytes(text), out _));

    [Fact]
    public void AHeadLongerThanTheLimitIsLeftToKestrel()
    {
        var padding = new string('a', StreamRequestHead.MaxLength);
        Assert.Equal(StreamRequestHead.Outcome.NotOurs,
            StreamRequestHead.TryParse(Bytes($"GET /events HTTP/1.1\r\nHost: h\r\nX-Pad: {padding}"), out _));
    }

    [Fact]
    public void AHeadSplitAcrossSegmentsParsesLikeOneBuffer()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /events?lastEventId=e-5 HTTP/1.1\r\nHost: h\r\n\r\n");
        var first = new Segment(bytes.AsMemory(0, 7));
        var last = first.Append(bytes.AsMemory(7, 20)).Append(bytes.AsMemory(27));
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        Assert.Equal(StreamRequestHead.Outcome.Ours, StreamRequestHead.TryParse(buffer, out var parsed));
        Assert.Equal("e-5", parsed!.LastEventId);
        Assert.Equal(bytes.Length, parsed.Length);
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.Latin1.GetBytes(text));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
