using System.Globalization;
using AspireSse.ServiceDefaults;
using AspireSse.SystemTesting;
using Microsoft.Playwright;

namespace AspireSse.Telemetry.Tests.Dashboard;

/// <summary>The system Chromium, signed in to the dashboard with the AppHost's login URL.</summary>
internal sealed class DashboardBrowser : IAsyncDisposable
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

    /// <summary>The newest value the open instrument's table shows, or null while it shows none.</summary>
    public async Task<double?> LatestMetricValueAsync()
    {
        var newest = Page.Locator("#metric-table-container tbody tr[data-row-index] td[col-index='2']").First;
        if (await newest.CountAsync() == 0)
        {
            return null;
        }

        var text = await newest.InnerTextAsync(new() { Timeout = 5_000 });
        var number = new string([.. text.Trim().TakeWhile(c => char.IsAsciiDigit(c) || c is '.' or ',' or '-')]);
        return double.TryParse(number, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.GetCultureInfo("en-US"), out var value)
            ? value
            : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
