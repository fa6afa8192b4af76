using System.Globalization;
using System.Text.RegularExpressions;
using AspireSse.Contracts;
using AspireSse.SystemTesting;
using Microsoft.Playwright;

namespace AspireSse.Telemetry.Tests.Dashboard;

/// <summary>The system Chromium, signed in to the dashboard with the AppHost's login URL.</summary>
internal sealed partial class DashboardBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IPage page, Uri baseUrl)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        BaseUrl = baseUrl;
    }

    public IPage Page { get; }

    public Uri BaseUrl { get; }

    public static async Task<DashboardBrowser> SignInAsync(DashboardTelemetry dashboard, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(dashboard);
        // Before anything else: without a browser there is nothing to look at, and it should say so.
        var chromium = SystemChromium.ExecutablePath;
        var playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Args = SystemChromium.Arguments, Headless = true });
            var context = await browser.NewContextAsync(new()
            {
                ViewportSize = new() { Width = 1440, Height = 900 },
                ColorScheme = ColorScheme.Light,
                Locale = "en-US",
            });
            context.SetDefaultTimeout((float)timeout.TotalMilliseconds);
            context.SetDefaultNavigationTimeout((float)timeout.TotalMilliseconds);
            var page = await context.NewPageAsync();
            // The token in the URL is exchanged for a cookie, then the dashboard redirects to its Resources page.
            await page.GotoAsync(dashboard.LoginUrl.ToString());
            await page.WaitForURLAsync(url => !new Uri(url).AbsolutePath.StartsWith("/login", StringComparison.Ordinal));
            return new DashboardBrowser(playwright, browser, page, dashboard.BaseUrl);
        }
        catch
        {
            if (browser is not null)
            {
                await browser.DisposeAsync();
            }

            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens one of the dashboard's pages, such as <c>/traces/detail/{traceId}</c>.</summary>
    public async Task GoToAsync(string path)
    {
        await Page.GotoAsync(new Uri(BaseUrl, path).ToString());
    }

    /// <summary>
    /// Opens the dashboard's Metrics page on one instrument of the project's meter, in its Table view,
    /// which lists the instrument's values newest first and keeps updating as exports arrive.
    /// </summary>
    public Task OpenMetricAsync(string resourceId, string instrument) =>
        GoToAsync($"/metrics/resource/{Uri.EscapeDataString(resourceId)}?meter={SseTelemetry.MeterName}&instrument={Uri.EscapeDataString(instrument)}&view=Table");

    /// <summary>How often the page's Blazor circuit failed ("An unhandled error has occurred") and was reloaded.</summary>
    public int Reloads { get; private set; }

    /// <summary>
    /// The text of the page's main content, or null after reloading it because its circuit failed
    /// (see <see cref="Reloads"/>).
    /// </summary>
    public async Task<string?> MainTextAsync()
    {
        if (await ReloadIfCircuitFailedAsync())
        {
            return null;
        }

        return await Page.Locator("main").First.InnerTextAsync();
    }

    private async Task<bool> ReloadIfCircuitFailedAsync()
    {
        if (!await Page.Locator("#blazor-error-ui").IsVisibleAsync())
        {
            return false;
        }

        // The dashboard's circuit failed: the page stops updating until it is loaded again.
        Reloads++;
        await Page.ReloadAsync();
        return true;
    }

    /// <summary>The newest value the open instrument's table shows (its first row: time, value), or null while it shows none.</summary>
    public async Task<double?> LatestMetricValueAsync()
    {
        if (await ReloadIfCircuitFailedAsync())
        {
            return null;
        }

        var cells = await Page.Locator("#metric-table-container tbody tr:not([row-state]) td[role='gridcell']").AllInnerTextsAsync();
        return cells is [_, var newest, ..]
            && Number().Match(newest) is { Success: true } number
            && double.TryParse(number.Value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value)
                ? value
                : null;
    }

    [GeneratedRegex(@"-?\d[\d,]*(\.\d+)?")]
    private static partial Regex Number();

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
