using System.Text.RegularExpressions;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.AppHost.Tests;

/// <summary>The quick start's first command, <c>./run.sh</c>, as a user runs and stops it.</summary>
public sealed partial class RunScriptTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunScriptServesTicksOnThePortAskedForAndStopsEverythingItStarted()
    {
        var port = FreePort.Next();
        await using var run = RunScript.Start("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var ready = await run.WaitForLineAsync("ready: ", StartTimeout, Cancellation);
        Assert.Equal($"ready: http://127.0.0.1:{port}", ready);
        Assert.Matches(DashboardLogin(), Assert.Single(run.Lines, l => l.StartsWith("dashboard: ", StringComparison.Ordinal)));

        // hello, then consecutive ticks, on streams that land on more than one replica.
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var replicas = new HashSet<string>();
        await using var streams = await SseTestClients.ConnectAsync(http, new Uri($"http://127.0.0.1:{port}/events"), 12, Cancellation);
        foreach (var stream in streams.Clients)
        {
            var events = await stream.WaitForTicksAsync(2, Timeout, Cancellation);
            Assert.Equal("hello", events[0].Type);
            Assert.Null(TickSequence.FirstBreak([.. events.Where(e => e.Type == "tick").Select(e => e.Sequence)]));
            replicas.Add(events[0].Replica!);
        }

        Assert.True(replicas.Count > 1, $"12 streams all landed on {string.Join(", ", replicas)}");

        // The AppHost, DCP, the dashboard, redis-server, two EventServices and three replicas (each
        // with its dotnet run) are up; SIGTERM to the script ends every one of them.
        var started = run.Processes();
        Assert.Contains(started, p => p.Command.Contains("AspireSse.AppHost", StringComparison.Ordinal));
        Assert.Contains(started, p => p.Command.StartsWith("redis-server", StringComparison.Ordinal));
        Assert.Equal(3, started.Count(p => p.Command.EndsWith("/AspireSse.WebFrontend", StringComparison.Ordinal)));
        Assert.Equal(2, started.Count(p => p.Command.EndsWith("/AspireSse.EventService", StringComparison.Ordinal)));

        var exitCode = await run.StopAsync(TimeSpan.FromSeconds(90), Cancellation);

        Assert.Equal(0, exitCode);
        Assert.Contains(run.Lines, l => l.StartsWith("stopped: ", StringComparison.Ordinal));
        Assert.Empty(run.Processes());
    }

    [Theory]
    [InlineData("--port", "70000", "70000")]
    [InlineData("--port", "eighty", "eighty")]
    [InlineData("--bogus", "1", "--bogus")]
    public async Task RunScriptRejectsBadArgumentsWithAReason(string option, string value, string named)
    {
        await using var run = RunScript.Start(option, value);

        var exitCode = await run.WaitForExitAsync(Timeout, Cancellation);

        Assert.Equal(2, exitCode);
        Assert.Contains(run.Lines, l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(named, StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, l => l.Contains("   at ", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^dashboard: http://localhost:\d+/login\?t=[0-9a-f]+$")]
    private static partial Regex DashboardLogin();
}
