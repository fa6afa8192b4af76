using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AspireSse.TestSupport;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// What a client costs a replica when it sends more than its request head and never reads: the
/// bytes the replica takes in wait in the connection's input buffer, which is bounded, and the
/// rest stays in TCP, outside the process.
/// </summary>
public sealed partial class UnreadRequestBytesTests
{
    private const int Streams = 200;
    private const int JunkBytes = 1024 * 1024;

    // Four times the budget of 64 KB a stream: across a step of 200 streams, RSS on a busy 2-core
    // box also moves with the GC's heap and thread stacks, by a few MB, which is tens of KB a
    // stream. A buffer that takes in all the client sends costs a whole MB a stream, far above.
    private const long ExtraKilobytesAllowed = 256;

    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private static readonly byte[] Junk = [.. Enumerable.Repeat((byte)'x', JunkBytes)];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task AClientThatSendsAMegabyteAfterItsRequestHeadAndNeverReadsCostsLittleMoreThanAPlainStream(FastPathMode fastPath)
    {
        await using var harness = await ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.200" },
            new Dictionary<string, string?> { [FastPathSetting.Name] = fastPath.Value() },
            Cancellation);
        var frontend = harness.Services[^1];
        await using var watcher = await SseTestClient.ConnectAsync(Http, new Uri(frontend.Url, "/events"), Cancellation);
        // The first streams grow the replica's pools and thread pool; that is no stream's own cost.
        await using var warmUp = await UnreadStreams.OpenAsync(frontend, 20, Cancellation);
        var before = await ResidentMemory.SettledKilobytesAsync(frontend, Cancellation);

        await using var plain = await UnreadStreams.OpenAsync(frontend, Streams, Cancellation);
        var withPlain = await ResidentMemory.SettledKilobytesAsync(frontend, Cancellation);
        await using var junk = await UnreadStreams.OpenAsync(frontend, Streams, Cancellation, sendAfterHead: Junk);
        var withJunk = await ResidentMemory.SettledKilobytesAsync(frontend, Cancellation);
        var kernelQueued = await LargestReceiveQueueAsync(frontend.Url.Port);

        var afterJunk = watcher.LastSequence;
        await watcher.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && t.Sequence >= afterJunk + 5), Eventually.Timeout, Cancellation);
        var perPlain = (double)(withPlain - before) / Streams;
        var perJunk = (double)(withJunk - withPlain) / Streams;
        TestReport.Publish(string.Create(CultureInfo.InvariantCulture,
            $"Fast path {fastPath}: RSS per plain stream {perPlain:F1} KB, per stream sent {JunkBytes / 1024} KB after its head {perJunk:F1} KB " +
            $"({perJunk - perPlain:F1} KB more; RSS {before} -> {withPlain} -> {withJunk} KB); " +
            $"the kernel holds at most {kernelQueued / 1024.0:F1} KB of it"));
        Assert.Null(TickSequence.FirstBreak([.. watcher.Ticks.Select(t => t.Sequence)]));
        Assert.True(perJunk - perPlain <= ExtraKilobytesAllowed,
            $"A stream whose client sent {JunkBytes / 1024} KB after its head cost {perJunk:F1} KB of RSS, a plain one {perPlain:F1} KB.");
        // The kernel doubles the receive buffer it is given (16 KB by default), and counts its own overhead with the bytes.
        Assert.InRange(kernelQueued, 1, 48 * 1024);
    }

    /// <summary>The most any connection to <paramref name="port"/> has waiting in the replica's kernel, unread (ss's skmem <c>r</c>).</summary>
    private static async Task<long> LargestReceiveQueueAsync(int port)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-tmnH", $"sport = :{port}"]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("ss did not start");
        var output = await ss.StandardOutput.ReadToEndAsync(Cancellation);
        await ss.WaitForExitAsync(Cancellation).WaitAsync(Eventually.Timeout, Cancellation);
        var queued = ReceiveQueued().Matches(output).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(queued.Count > 2 * Streams, $"ss lists the replica's connections on port {port}: '{output}'");
        return queued.Max();
    }

    [GeneratedRegex(@"skmem:\(r(\d+),")]
    private static partial Regex ReceiveQueued();

    [Theory]
    [InlineData(FastPathMode.On, "/events")]
    [InlineData(FastPathMode.On, "/events/stats")]
    [InlineData(FastPathMode.Off, "/events/stats")]
    public async Task ARequestHeadAsLargeAsKestrelAcceptsIsAnsweredThoughItIsLargerThanTheReadBuffer(FastPathMode fastPath, string target)
    {
        await using var harness = await ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.200" },
            new Dictionary<string, string?> { [FastPathSetting.Name] = fastPath.Value(), ["Admission__ReadBufferBytes"] = "4096" },
            Cancellation);
        var frontend = harness.Services[^1];
        // Kestrel's limits: a request line of up to 8 KB and up to 32 KB of headers, in one header here.
        var header = $"X-Large: {new string('a', 31 * 1024)}\r\n";

        await using var connection = await RawHttp.ConnectAsync(frontend, Cancellation);
        await connection.SendAsync($"GET {target}?{new string('q', 7 * 1024)} HTTP/1.1\r\nHost: localhost\r\n{header}\r\n", Cancellation);
        // Well within the head timeout (10 s): a reader that waited for the whole head without
        // looking at what it had would wait for it, and be cut.
        var response = await connection.ReadUntilAsync("\r\n\r\n", TimeSpan.FromSeconds(5), Cancellation);

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
    }
}
