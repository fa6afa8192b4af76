using System.Text.RegularExpressions;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace AspireSse.Browser.Tests;

/// <summary>
/// The page in a real Chromium, through the one WebFrontend URL of the AppHost's system. Each test starts its
/// own topology and browser; they run one after another (xunit.runner.json), since each uses a
/// good share of two cores.
/// </summary>
public sealed partial class TickPageTests
{
    // "Within seconds": generous for a loaded CI machine, far below anything a user would call slow.
    private static readonly TimeSpan FirstTicks = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task PageShowsAdvancingTicksWithinSeconds(FastPathMode fastPath)
    {
        await using var run = await BrowserRun.StartAsync(Cancellation, fastPath);
        await using var context = await run.NewContextAsync();

        var page = await run.OpenPageAsync(context);

        await page.WaitForTicksAsync(10, Cancellation, FirstTicks);
        await Expect(page.State).ToHaveTextAsync("live");
        Assert.Contains(await page.ReplicaNameAsync(), run.System.WebFrontends.Select(f => f.InstanceId));
        await Expect(page.Age).ToHaveTextAsync(Milliseconds());
        await Expect(page.LatencySummary).ToContainTextAsync("median");
        await Expect(page.Gaps).ToHaveTextAsync("0");
        await Expect(page.Transport).ToHaveAttributeAsync("data-transport", "shared");
        await Screenshots.SaveAsync(page.Page, "page-shows-advancing-ticks");

        // A phone-sized window: still ticking, and nothing sticks out sideways.
        await page.Page.SetViewportSizeAsync(360, 740);
        await page.WaitForTicksAsync(5, Cancellation);
        var overflows = await page.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(overflows, "at 360 px wide the page scrolls horizontally");
        await Screenshots.SaveAsync(page.Page, "page-in-a-narrow-window");
    }

    [Fact]
    public async Task TenTabsShareOneServerConnection()
    {
        await using var run = await BrowserRun.StartAsync(Cancellation);
        await using var context = await run.NewContextAsync();

        List<TickPage> tabs = [];
        for (var i = 0; i < 10; i++)
        {
            tabs.Add(await run.OpenPageAsync(context));
        }

        // Every tab ticks: each moves past the highest counter any of them showed a moment ago.
        long highest = 0;
        foreach (var tab in tabs)
        {
            highest = Math.Max(highest, await tab.WaitForTicksAsync(1, Cancellation));
        }

        foreach (var tab in tabs)
        {
            await tab.WaitForCounterAsync(c => c >= highest + 5, $"pass {highest + 5}", Cancellation);
            await Expect(tab.Transport).ToHaveAttributeAsync("data-tabs", "10");
            await Expect(tab.Gaps).ToHaveTextAsync("0");
        }

        var stats = await run.StatsAsync(Cancellation);
        Assert.Equal(1, stats.Sum(s => s.Clients));
        var serving = Assert.Single(stats, s => s.Clients == 1);
        foreach (var tab in tabs)
        {
            await Expect(tab.Replica).ToHaveTextAsync(serving.Replica);
        }

        await Expect(tabs[^1].Transport).ToContainTextAsync("shared by 10 tabs");
        await Screenshots.SaveAsync(tabs[^1].Page, "ten-tabs-share-one-connection");
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task PageContinuesWithoutGapWhenItsReplicaDies(FastPathMode fastPath)
    {
        await using var run = await BrowserRun.StartAsync(Cancellation, fastPath);
        await using var context = await run.NewContextAsync();
        var page = await run.OpenPageAsync(context);
        await page.WaitForTicksAsync(10, Cancellation);
        await Expect(page.State).ToHaveTextAsync("live");

        var serving = await page.ReplicaNameAsync();
        var victim = Assert.Single(run.System.WebFrontends, f => f.InstanceId == serving);
        await run.System.KillAsync(victim, Cancellation);
        var atKill = await page.CounterAsync() ?? 0;

        // Through Aspire's proxy to a replica that is still alive, resuming from the page's last id.
        await Expect(page.Replica).Not.ToHaveTextAsync(serving);
        await page.WaitForCounterAsync(c => c >= atKill + 30, $"continue past {atKill + 30}", Cancellation);
        await Expect(page.State).ToHaveTextAsync("live");
        await Expect(page.Gaps).ToHaveTextAsync("0");
        await Expect(page.Duplicates).ToHaveTextAsync("0");
        await Expect(page.ReplicasSeen).ToHaveTextAsync("2");
        Assert.True(await page.ReconnectCountAsync() >= 1, "the page counts its reconnect");
        // The ticks published while it was away came from the history stream, not lost.
        Assert.True(await page.ResumedCountAsync() > 0, "the page shows the ticks it resumed");

        var now = await page.ReplicaNameAsync();
        var stats = await run.StatsAsync(Cancellation);
        Assert.Equal(1, stats.Sum(s => s.Clients));
        Assert.Equal(now, Assert.Single(stats, s => s.Clients == 1).Replica);
        await Screenshots.SaveAsync(page.Page, "page-continues-after-its-replica-dies");
    }

    [Fact]
    public async Task TabWithoutSharedWorkerHoldsItsOwnConnection()
    {
        await using var run = await BrowserRun.StartAsync(Cancellation);
        // As in a browser that has no SharedWorker.
        await using var context = await run.NewContextAsync("delete window.SharedWorker;");

        var page = await run.OpenPageAsync(context);

        await page.WaitForTicksAsync(10, Cancellation, FirstTicks);
        await Expect(page.Transport).ToHaveAttributeAsync("data-transport", "tab");
        await Expect(page.State).ToHaveTextAsync("live");
        await Expect(page.Gaps).ToHaveTextAsync("0");
        Assert.Equal(1, (await run.StatsAsync(Cancellation)).Sum(s => s.Clients));
        await Screenshots.SaveAsync(page.Page, "tab-without-shared-worker");
    }

    [GeneratedRegex(@"^\d+ ms$")]
    private static partial Regex Milliseconds();
}
