using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.Telemetry.Tests.Dashboard;
using AspireSse.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireSse.Telemetry.Tests;

/// <summary>
/// The meters the README lists, as the dashboard shows them. Its telemetry API has no metrics route,
/// so the values are read where a user reads them: the Metrics page's table, in the system Chromium.
/// </summary>
public sealed class MetricTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task MetersReportTicksClientsAndDeliveryToTheDashboard(FastPathMode fastPath)
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation, fastPath: fastPath);
        var (first, second) = (run.System.WebFrontends[0], run.System.WebFrontends[1]);
        var clients = new List<SseTestClient>();
        foreach (var replica in new[] { first, first, first, second })
        {
            clients.Add(await run.ConnectAsync(replica, Cancellation));
        }

        foreach (var client in clients)
        {
            await client.WaitUntilAsync(e => e.Count(x => x.Type == "tick") >= 5, TelemetryRun.Timeout, Cancellation);
        }

        // Every instance exports metrics, and the dashboard files them under that instance.
        Replica[] instances = [.. run.System.EventServices, .. run.System.WebFrontends];
        var resources = await run.WaitForAsync(d => d.ResourcesAsync(Cancellation),
            rs => instances.All(i => rs.Any(r => r.DisplayName == i.ResourceId && r.HasMetrics)),
            $"metrics from each of {string.Join(", ", instances.Select(i => i.ResourceId))}", Cancellation);
        Assert.Equal(instances.Length, resources.Count(r => r.HasMetrics));

        var delivered = clients.Select(c => c.Ticks.Count).ToList();
        var highest = clients.Max(c => c.Ticks[^1].Sequence);
        var publishes = await run.WaitForAsync(
            d => TickTrace.PublishSpansAsync(d, run.System.EventServices.Select(e => e.ResourceId), Cancellation),
            p => p.Count > 0, "a publish span, to know which EventService ticks", Cancellation);
        var leader = run.System.EventServices.Single(e => TelemetryRun.SenderOf(e) == publishes.Values.First().Sender);

        await using var browser = await DashboardBrowser.SignInAsync(run.Dashboard, TelemetryRun.Timeout);
        var page = browser.Page;

        // Everything received so far was published before the next export.
        await browser.OpenMetricAsync(leader.ResourceId, SseMetrics.TicksPublished);
        var published = await LatestAsync(browser, n => n >= highest, $"{leader.ResourceId}'s {SseMetrics.TicksPublished} to reach {highest}");
        // The EventService started on an empty Redis, so its count can never pass the counter there.
        var counter = (long)await (await run.System.RedisAsync(Cancellation)).StringGetAsync(TickRedisKeys.Counter);
        Assert.InRange(published, highest, counter);

        await browser.OpenMetricAsync(first.ResourceId, SseMetrics.ConnectedClients);
        await LatestAsync(browser, n => n == 3, $"{first.ResourceId}'s {SseMetrics.ConnectedClients} to show 3");
        // The replica's whole instrument list: the project's meter, as the README lists it for the WebFrontend.
        foreach (var instrument in new[] { SseMetrics.TicksRelayed, SseMetrics.ConnectedClients, SseMetrics.DeliveryLatency, SseMetrics.EventsPerWrite, SseMetrics.StreamsOpened })
        {
            await Expect(page.GetByText(instrument, new() { Exact = true }).First).ToBeVisibleAsync(new() { Timeout = (float)TelemetryRun.Timeout.TotalMilliseconds });
        }

        await browser.OpenMetricAsync(second.ResourceId, SseMetrics.ConnectedClients);
        await LatestAsync(browser, n => n == 1, $"{second.ResourceId}'s {SseMetrics.ConnectedClients} to show 1");

        // The replica relays every tick, whoever listens: at least what its clients received, at most what was published.
        await browser.OpenMetricAsync(first.ResourceId, SseMetrics.TicksRelayed);
        var relayed = await LatestAsync(browser, n => n >= delivered[0], $"{first.ResourceId}'s {SseMetrics.TicksRelayed} to reach {delivered[0]}");
        Assert.InRange(relayed, delivered[0], (long)await (await run.System.RedisAsync(Cancellation)).StringGetAsync(TickRedisKeys.Counter));

        // Clients that leave are taken off the gauge.
        await clients[0].DisposeAsync();
        await clients[1].DisposeAsync();
        await browser.OpenMetricAsync(first.ResourceId, SseMetrics.ConnectedClients);
        await LatestAsync(browser, n => n == 1, $"{first.ResourceId}'s {SseMetrics.ConnectedClients} to drop to 1");
        var screenshot = await Screenshots.SaveAsync(page, "dashboard-metrics");

        TestReport.Publish($"telemetry: dashboard metrics page: {leader.InstanceId} {SseMetrics.TicksPublished}={published} (highest seen {highest}, counter {counter}); " +
            $"{first.InstanceId} {SseMetrics.TicksRelayed}={relayed} clients 3 then 1; {second.InstanceId} clients 1; hasMetrics on all {instances.Length} instances; " +
            $"page reloads after a dashboard circuit error: {browser.Reloads}; {screenshot}");
    }

    private static async Task<double> LatestAsync(DashboardBrowser browser, Func<double, bool> done, string what)
    {
        try
        {
            return (await Eventually.WaitAsync(browser.LatestMetricValueAsync, v => v is { } n && done(n), TelemetryRun.Timeout, what, Cancellation))!.Value;
        }
        catch (TimeoutException)
        {
            // What the page showed instead.
            await Screenshots.SaveAsync(browser.Page, "dashboard-metrics-timed-out");
            throw;
        }
    }
}
