using AspireSse.Contracts;
using AspireSse.Telemetry.Tests.Dashboard;
using AspireSse.TestSupport;

namespace AspireSse.Telemetry.Tests;

/// <summary>The dashboard's structured logs: what each service logs arrives with its fields, filed under the instance that logged it.</summary>
public sealed class LogTests
{
    private const string TickerCategory = "AspireSse.EventService.Ticking.TickerWorker";
    private const string SubscriberCategory = "AspireSse.WebFrontend.Relay.TickSubscriber";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StructuredLogsFromBothServicesArriveWithTheirFields()
    {
        await using var run = await TelemetryRun.StartAsync(Cancellation);
        var redis = await run.System.RedisAsync(Cancellation);
        var epoch = (string?)await Eventually.WaitAsync(async () => await redis.StringGetAsync(TickRedisKeys.Epoch), e => !e.IsNull,
            TelemetryRun.Timeout, "the EventService to number its ticks", Cancellation);

        // The instance that took the lease says so, and where the numbering stands.
        var eventServices = run.System.EventServices;
        var serviceLogs = await run.WaitForAsync(
            d => d.LogsAsync(eventServices.Select(r => r.ResourceId), Cancellation),
            logs => logs.Any(l => l.Message.StartsWith("Took the single-writer lease", StringComparison.Ordinal))
                && logs.Any(l => l.Message.StartsWith("Numbering stands at epoch", StringComparison.Ordinal)),
            "the EventService's lease and numbering log lines", Cancellation);
        var lease = Assert.Single(serviceLogs, l => l.Message.StartsWith("Took the single-writer lease", StringComparison.Ordinal));
        Assert.Equal((TickerCategory, "Information"), (lease.Category, lease.Severity));
        Assert.Contains(lease.Sender, eventServices.Select(TelemetryRun.SenderOf));
        Assert.Equal($"Took the single-writer lease as {lease.Attributes["Token"]}: this instance ticks now", lease.Message);
        var position = Assert.Single(serviceLogs, l => l.Message.StartsWith("Numbering stands at epoch", StringComparison.Ordinal));
        Assert.Equal((TickerCategory, lease.Sender, epoch), (position.Category, position.Sender, position.Attributes["Epoch"]));

        // The instance that logged taking the lease is the one whose publish spans the dashboard has.
        var publishes = await run.WaitForAsync(
            d => TickTrace.PublishSpansAsync(d, eventServices.Select(r => r.ResourceId), Cancellation),
            p => p.Count > 0, "the first publish span", Cancellation);
        Assert.All(publishes.Values, p => Assert.Equal(lease.Sender, p.Sender));

        // Every replica logs its subscription, with the channel and the tick it relays after as fields.
        foreach (var replica in run.System.WebFrontends)
        {
            var logs = await run.WaitForAsync(d => d.LogsAsync([replica.ResourceId], Cancellation),
                ls => ls.Any(l => l.Category == SubscriberCategory), $"{replica.ResourceId}'s subscription log line", Cancellation);
            var subscribed = logs.First(l => l.Category == SubscriberCategory);
            Assert.Equal((TelemetryRun.SenderOf(replica), "Information"), (subscribed.Sender, subscribed.Severity));
            Assert.Equal("aspiresse:ticks", subscribed.Attributes["Channel"]);
            Assert.Equal(epoch, subscribed.Attributes["Epoch"]);
            Assert.Equal($"Subscribed to Redis channel aspiresse:ticks; relaying after {epoch}-{subscribed.Attributes["Sequence"]}", subscribed.Message);
            TestReport.Publish($"telemetry: log from {replica.InstanceId} [{subscribed.Category}] {subscribed.Message}");
        }

        TestReport.Publish($"telemetry: log from {lease.Sender.InstanceId} [{lease.Category}] {lease.Message} / {position.Message}");
    }
}
