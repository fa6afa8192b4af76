using System.Net.Http.Json;
using Aspire.Hosting.ApplicationModel;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;
using Microsoft.Playwright;

namespace AspireSse.Browser.Tests;

/// <summary>
/// The AppHost's system (Redis, two EventServices, three replicas behind one URL) with fast ticks,
/// and a headless Chromium to look at it through that URL, as a user would.
/// </summary>
internal sealed class BrowserRun : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly IPlaywright _playwright;

    static BrowserRun() => Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);

    private BrowserRun(RunningSystem system, IPlaywright playwright, IBrowser browser)
    {
        System = system;
        _playwright = playwright;
        Browser = browser;
    }

    public RunningSystem System { get; }

    public IBrowser Browser { get; }

    public static async Task<BrowserRun> StartAsync(CancellationToken cancellationToken, FastPathMode fastPath = FastPathMode.On)
    {
        // Before anything starts: without a browser there is nothing to test, and it should say so.
        var chromium = SystemChromium.ExecutablePath;

        // Ten ticks a second: counters visibly advance within a second, and a fault lands mid-stream.
        var settings = new SystemSettings { TickInterval = TimeSpan.FromMilliseconds(100), FastPath = fastPath };
        settings.WebFrontend["TickStream__ReconnectDelay"] = "00:00:00.200";
        settings.WebFrontend["TickStream__DrainDelay"] = "00:00:01";
        settings.WebFrontend["TickStream__HeartbeatInterval"] = "00:00:01";
        var system = await RunningSystem.StartAsync(settings, cancellationToken);

        IPlaywright? playwright = null;
        try
        {
            playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = chromium,
                Args = SystemChromium.Arguments,
                Headless = true,
            });
            return new BrowserRun(system, playwright, browser);
        }
        catch
        {
            playwright?.Dispose();
            await system.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh browser profile: its tabs share cookies, connections and SharedWorkers, like one user's browser.</summary>
    public async Task<IBrowserContext> NewContextAsync(string? initScript = null)
    {
        var context = await Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 800, Height = 900 },
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        if (initScript is not null)
        {
            await context.AddInitScriptAsync(initScript);
        }

        return context;
    }

    /// <summary>A new tab on the page, loaded through the one URL.</summary>
    public async Task<TickPage> OpenPageAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(System.WebFrontendUrl.ToString());
        return new TickPage(page);
    }

    /// <summary>What every running replica says about itself, asked at its own URL rather than through the proxy.</summary>
    public async Task<IReadOnlyList<ReplicaStats>> StatsAsync(CancellationToken cancellationToken)
    {
        List<ReplicaStats> stats = [];
        foreach (var frontend in System.WebFrontends.Where(f => IsRunning(f.ResourceId)))
        {
            var answer = await Http.GetFromJsonAsync<ReplicaStats>(new Uri(frontend.Url, "/events/stats"), cancellationToken);
            stats.Add(answer ?? throw new InvalidOperationException($"{frontend.ResourceId} answered /events/stats with null."));
        }

        return stats;
    }

    private bool IsRunning(string resourceId) =>
        System.App.ResourceNotifications.TryGetCurrentState(resourceId, out var state)
        && state.Snapshot.State?.Text == KnownResourceStates.Running;

    public async ValueTask DisposeAsync()
    {
        // Whatever the browser does on the way out, the processes must not outlive the test.
        try
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }
        finally
        {
            await System.DisposeAsync();
        }
    }
}
