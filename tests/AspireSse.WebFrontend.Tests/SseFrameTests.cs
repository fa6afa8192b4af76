using System.Net.ServerSentEvents;
using System.Text;
using AspireSse.WebFrontend.Relay;

namespace AspireSse.WebFrontend.Tests;

public sealed class SseFrameTests
{
    [Fact]
    public void FrameCarriesEventIdRetryAndOneLineOfJson()
    {
        var frame = SseFrame.Encode("tick", new Hello("replica-1", "e1", 41), RelayJsonContext.Default.Hello,
            id: "e1-41", retry: TimeSpan.FromMilliseconds(1500));

        var text = Encoding.UTF8.GetString(frame);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var item = Assert.Single(SseParser.Create(new MemoryStream(frame)).Enumerate());
        Assert.Equal("tick", item.EventType);
        Assert.Equal("e1-41", item.EventId);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), item.ReconnectionInterval);
        Assert.Equal("""{"replica":"replica-1","epoch":"e1","sequence":41}""", item.Data);
    }

    [Fact]
    public void LineBreaksInsideDataStayInsideOneDataLine()
    {
        var frame = SseFrame.Encode("hello", new Hello("line\nbreak", null, 0), RelayJsonContext.Default.Hello);

        var item = Assert.Single(SseParser.Create(new MemoryStream(frame)).Enumerate());
        Assert.Contains("line\\nbreak", item.Data, StringComparison.Ordinal);
    }

    [Fact]
    public void LineBreakInAnIdIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SseFrame.Encode("tick", new Hello("r", null, 0), RelayJsonContext.Default.Hello, id: "a\nb"));
        Assert.Contains("line break", error.Message, StringComparison.Ordinal);
    }
}
