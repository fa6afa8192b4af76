using System.Text.RegularExpressions;
using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.Telemetry.Tests.Dashboard;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireSse.Telemetry.Tests;

/// <summary>The dashboard's own pages, in the system Chromium, signed in with the AppHost's login URL.</summary>
public sealed class DashboardPageTests
{
    /// <summary>The dashboard renders over a SignalR circuit, on a busy machine: a page fills in within seconds, not at once.</summary>
    private static readonly LocatorAssertionsToContainTextOptions Patiently = new() { Timeout = (float)TelemetryRun.Timeout.TotalMilliseconds };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static string ResourceIdOf(Sender sender) => $"{sender.ServiceName}-{sender.InstanceId}";

    [Fact]
    public async Task TheResourcesPageListsEveryInstanceAndATicksTracePageShowsEveryRelay()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        await using var browser = await DashboardBrowser.SignInAsync(run.Dashboard, TelemetryRun.Timeout);
        var page = browser.Page;
        Replica[] instances = [.. run.System.EventServices, .. run.System.WebFrontends];

        // Signing in lands on the Resources page, which lists every instance and Redis.
        string[] expected = [.. instances.Select(i => i.ResourceId), RunningSystem.RedisServer];
        await Eventually.WaitAsync(browser.MainTextAsync, text => text is not null && expected.All(text.Contains),
            TelemetryRun.Timeout, $"the Resources page to list {string.Join(", ", expected)}", Cancellation);
        var resources = await Screenshots.SaveAsync(page, "dashboard-resources");

        // One tick's trace, with a relay from every replica.
        var eventServices = run.System.EventServices.Select(r => r.ResourceId).ToList();
        var replicas = run.System.WebFrontends.Select(TelemetryRun.SenderOf).ToList();
        var trace = await run.WaitForAsync(
            async d => (await TickTrace.PublishSpansAsync(d, eventServices, Cancellation)).OrderByDescending(p => p.Key).Skip(5).FirstOrDefault() is { Value: var publish } && publish is not null
                ? new TickTrace(publish.LongAttribute(SseTelemetry.SequenceTag)!.Value, publish, await d.TraceAsync(publish.TraceId, Cancellation))
                : new TickTrace(0, null, []),
            // With the publisher's Redis command too, which arrives seconds later: the trace is complete.
            t => t.Publish is { } publish && replicas.All(r => t.Processes.Any(p => p.Sender == r))
                && t.Spans.Any(s => s.ParentSpanId == publish.SpanId && s.Kind == DashboardSpanKind.Client),
            "a tick's trace with a relay from every replica and the publisher's Redis command", Cancellation);
        await browser.GoToAsync($"/traces/detail/{trace.Publish!.TraceId}");
        // The page names the trace after its root span, and shows messaging spans by system and destination.
        await Expect(page).ToHaveTitleAsync(new Regex(Regex.Escape($"{ResourceIdOf(trace.Publish.Sender)}: {TickTrace.PublishSpan}")),
            new() { Timeout = (float)TelemetryRun.Timeout.TotalMilliseconds });
        var detail = page.Locator("main").First;
        await Expect(detail).ToContainTextAsync($"Total spans {trace.Spans.Count}", Patiently);
        // One row for the publish span and one for each replica's relay, each under its own resource.
        var spanRows = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "MSG redis aspiresse:ticks" });
        await Expect(spanRows).ToHaveCountAsync(1 + replicas.Count, new() { Timeout = Patiently.Timeout });
        foreach (var instance in run.System.WebFrontends.Append(run.System.EventServices.Single(e => TelemetryRun.SenderOf(e) == trace.Publish.Sender)))
        {
            await Expect(spanRows.Filter(new() { HasText = instance.ResourceId })).ToHaveCountAsync(1, new() { Timeout = Patiently.Timeout });
        }

        var tracePage = await Screenshots.SaveAsync(page, "dashboard-trace");

        // The README shows copies of these two (docs/), taken from a run like this one; a test run
        // leaves the tracked files alone.
        TestReport.Publish($"telemetry: dashboard screenshots of the Resources page and of tick {trace.Sequence}'s trace {trace.Publish.TraceId} " +
            $"({trace.Spans.Count} spans): {resources}, {tracePage}");
    }
}
