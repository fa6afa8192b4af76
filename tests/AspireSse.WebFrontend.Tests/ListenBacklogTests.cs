using System.Diagnostics;
using System.Globalization;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// The listen backlog (<c>Admission:ListenBacklog</c>): how many handshakes the kernel holds for a
/// replica before it accepts them, which is what a survivor of a reconnect storm is sent at once.
/// </summary>
public sealed class ListenBacklogTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReplicaListensWithTheConfiguredBacklogOnItsOwnAndOnASharedPort(bool shared)
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var sharedPort = shared ? FreePort.Next() : 0;
        var frontend = await harness.StartWebFrontendAsync(new Dictionary<string, string?> { ["Admission__ListenBacklog"] = "1500" },
            cancellationToken: Cancellation, sharedPort: sharedPort);

        // For a listening socket, ss reports the backlog as its Send-Q.
        Assert.Equal(1500, await ListenBacklogAsync(shared ? sharedPort : frontend.Url.Port));
    }

    [Fact]
    public async Task DefaultBacklogIsFarAboveKestrelsFiveHundredAndTwelve()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var frontend = await harness.StartWebFrontendAsync(cancellationToken: Cancellation);

        var somaxconn = int.Parse(await File.ReadAllTextAsync("/proc/sys/net/core/somaxconn", Cancellation), CultureInfo.InvariantCulture);
        Assert.Equal(Math.Min(4096, somaxconn), await ListenBacklogAsync(frontend.Url.Port));
    }

    private static async Task<int> ListenBacklogAsync(int port)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-ltnH", $"sport = :{port}"]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("ss did not start");
        var output = await ss.StandardOutput.ReadToEndAsync(Cancellation);
        await ss.WaitForExitAsync(Cancellation).WaitAsync(Eventually.Timeout, Cancellation);
        // LISTEN  Recv-Q  Send-Q  Local  Peer
        var fields = output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(fields.Length >= 4, $"ss lists a listener on port {port}: '{output}'");
        return int.Parse(fields[2], CultureInfo.InvariantCulture);
    }
}
