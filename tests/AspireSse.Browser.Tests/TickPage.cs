using System.Globalization;
using AspireSse.TestSupport;
using Microsoft.Playwright;

namespace AspireSse.Browser.Tests;

/// <summary>One tab showing the page, read the way a user reads it: by the text of its elements.</summary>
internal sealed class TickPage(IPage page)
{
    public IPage Page => page;

    public ILocator Counter => page.Locator("#counter");

    public ILocator State => page.Locator("#state");

    public ILocator Replica => page.Locator("#replica");

    public ILocator ReplicasSeen => page.Locator("#replicas-seen");

    public ILocator Age => page.Locator("#age");

    public ILocator Reconnects => page.Locator("#reconnects");

    public ILocator Resumed => page.Locator("#resumed");

    public ILocator Gaps => page.Locator("#gaps");

    public ILocator Duplicates => page.Locator("#duplicates");

    public ILocator LatencySummary => page.Locator("#latency-summary");

    public ILocator Transport => page.Locator("#transport");

    /// <summary>The counter, or null while it shows no number yet.</summary>
    public async Task<long?> CounterAsync() =>
        long.TryParse(await Counter.TextContentAsync(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The replica the page says serves it.</summary>
    public async Task<string> ReplicaNameAsync() => await Replica.TextContentAsync() ?? "";

    public Task<long> ReconnectCountAsync() => NumberAsync(Reconnects);

    public Task<long> ResumedCountAsync() => NumberAsync(Resumed);

    /// <summary>Waits until the counter shows a number that satisfies <paramref name="done"/>; returns it.</summary>
    public async Task<long> WaitForCounterAsync(Func<long, bool> done, string what, CancellationToken cancellationToken,
        TimeSpan? timeout = null)
    {
        var counter = await Eventually.WaitAsync(CounterAsync, c => c is { } value && done(value), timeout ?? BrowserRun.Timeout,
            $"the page's counter to {what}", cancellationToken);
        return counter!.Value;
    }

    /// <summary>Waits for a first number, then for <paramref name="ticks"/> more; returns the last reading.</summary>
    public async Task<long> WaitForTicksAsync(int ticks, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var first = await WaitForCounterAsync(_ => true, "show a number", cancellationToken, timeout);
        return await WaitForCounterAsync(c => c >= first + ticks, $"advance from {first} by {ticks}", cancellationToken, timeout);
    }

    private static async Task<long> NumberAsync(ILocator locator) =>
        long.Parse(await locator.TextContentAsync() ?? "", NumberStyles.None, CultureInfo.InvariantCulture);
}
