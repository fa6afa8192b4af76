using System.Net.Http.Json;
using AspireSse.Launcher.Topology;
using AspireSse.TestSupport.Processes;
using Microsoft.Playwright;

namespace AspireSse.Browser.Tests;

/// <summary>
/// The launcher's topology (Redis, the EventService, three replicas, the gateway) with fast ticks,
/// and a headless Chromium to look at it through the gateway, as a user would.
/// </summary>
internal sealed class BrowserRun : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly IPlaywright _playwright;

    static BrowserRun() => Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);

    private BrowserRun(SseTopology topology, IPlaywright playwright, IBrowser browser)
    {
        Topology = topology;
        _playwright = playwright;
        Browser = browser;
    }

    public SseTopology Topology { get; }

    public IBrowser Browser { get; }

    public static async Task<BrowserRun> StartAsync(CancellationToken cancellationToken)
    {
        // Before anything starts: without a browser there is nothing to test, and it should say so.
        var chromium = SystemChromium.ExecutablePath;

        var options = new TopologyOptions { Replicas = 3 };
        // Ten ticks a second: counters visibly advance within a second, and a fault lands mid-stream.
        options.EventServiceEnvironment["Ticks__Interval"] = "00:00:00.100";
        options.WebFrontendEnvironment["TickStream__ReconnectDelay"] = "00:00:00.200";
        options.WebFrontendEnvironment["TickStream__DrainDelay"] = "00:00:01";
        options.WebFrontendEnvironment["TickStream__HeartbeatInterval"] = "00:00:01";
        var topology = await SseTopology.StartAsync(options, cancellationToken);

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
            return new BrowserRun(topology, playwright, browser);
        }
        catch
        {
            playwright?.Dispose();
            await topology.DisposeAsync();
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

    /// <summary>A new tab on the page, loaded through the gateway.</summary>
    public async Task<TickPage> OpenPageAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(Topology.GatewayUrl.ToString());
        return new TickPage(page);
    }

    /// <summary>What every running replica says about itself, asked directly rather than through the gateway.</summary>
    public async Task<IReadOnlyList<ReplicaStats>> StatsAsync(CancellationToken cancellationToken)
    {
        List<ReplicaStats> stats = [];
        foreach (var frontend in Topology.Frontends.Where(f => f.IsRunning))
        {
            var answer = await Http.GetFromJsonAsync<ReplicaStats>(new Uri(frontend.Url, "/events/stats"), cancellationToken);
            stats.Add(answer ?? throw new InvalidOperationException($"{frontend.Name} answered /events/stats with null."));
        }

        return stats;
    }

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
            await Topology.DisposeAsync();
        }
    }
}
