using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AspireSse.TestSupport;

namespace AspireSse.EndToEnd.Tests;

/// <summary>The launcher as a user runs it: a separate process, stopped with a signal.</summary>
public sealed partial class LauncherProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StoppingTheLauncherLeavesNoProcessBehind()
    {
        await using var launcher = await LauncherRun.StartAsync(["--port", "0", "--replicas", "2"], Cancellation);
        var ready = await launcher.WaitForLineAsync(l => l.StartsWith("ready: ", StringComparison.Ordinal), Timeout, Cancellation);
        var url = new Uri(ready["ready: ".Length..]);

        // The table lists every child with its pid: redis, the EventService and two replicas.
        var pids = launcher.Lines
            .Select(l => ResourceRow().Match(l))
            .Where(m => m.Success && m.Groups["name"].Value != "gateway")
            .ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture));
        Assert.Equal(["eventservice", "redis", "webfrontend-1", "webfrontend-2"], pids.Keys.Order());
        Assert.All(pids.Values, pid => Assert.True(IsAlive(pid), $"pid {pid} should be running"));

        using (var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan })
        {
            await using var client = await SseTestClient.ConnectAsync(http, new Uri(url, "/events"), Cancellation);
            await client.WaitForTicksAsync(1, Timeout, Cancellation);
        }

        var exitCode = await launcher.StopAsync(Timeout, Cancellation);

        Assert.Equal(0, exitCode);
        Assert.All(pids, p => Assert.False(IsAlive(p.Value), $"{p.Key} (pid {p.Value}) is still running"));
    }

    [Theory]
    [InlineData("--replicas", "zero")]
    [InlineData("--port", "70000")]
    [InlineData("--bogus", "1")]
    public async Task LauncherRejectsBadArgumentsWithAReason(string option, string value)
    {
        await using var launcher = await LauncherRun.StartAsync([option, value], Cancellation);

        var exitCode = await launcher.WaitForExitAsync(Timeout, Cancellation);

        Assert.Equal(2, exitCode);
        Assert.Contains(launcher.Lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(option, StringComparison.Ordinal));
        Assert.Contains(launcher.Lines, l => l.StartsWith("usage: ", StringComparison.Ordinal));
    }

    private static bool IsAlive(int pid)
    {
        // A zombie still has a /proc entry; only a running or sleeping process counts.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?<name>[a-z][a-z0-9-]*)\s+(redis-server|project|yarp)\s+(?<pid>\d+)\s+\S+$")]
    private static partial Regex ResourceRow();
}
