using System.Diagnostics;
using AspireSse.Contracts;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// The relay's spans. A live tick's span is a child of the EventService's publish span, so one
/// trace holds the publish and every replica's relay. A tick filled in from history did not reach
/// this replica through that publish, so its span only links to it.
/// </summary>
public static class RelayActivities
{
    private static readonly string ChannelName = TickRedisKeys.Channel.ToString();

    /// <summary>A replica relaying one tick to its clients.</summary>
    public static readonly string ProcessName = $"{ChannelName} process";

    /// <summary>A resuming client being sent the ticks it missed.</summary>
    public static readonly string ReplayName = $"{ChannelName} replay";

    /// <summary>
    /// A stream answered below HTTP (<c>TickStreamConnections</c>), named as ASP.NET Core names the
    /// request span of the same stream opened through the HTTP pipeline.
    /// </summary>
    public const string OpeningName = "GET /events";

    // OpenTelemetry keeps at most 128 links per span by default; more would be dropped at export.
    private const int MaxReplayLinks = 128;

    public static Activity? StartProcess(Tick tick, bool backfilled)
    {
        var source = SseTelemetry.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }

        var published = PublishContext(tick);
        var activity = backfilled || published is null
            ? source.StartActivity(ProcessName, ActivityKind.Consumer, parentContext: default,
                links: published is { } link ? [new ActivityLink(link)] : null)
            : source.StartActivity(ProcessName, ActivityKind.Consumer, published.Value);
        if (activity is { IsAllDataRequested: true })
        {
            SetMessagingTags(activity, "process", "process");
            activity.SetTag("messaging.message.id", new TickId(tick.Epoch, tick.Sequence).ToString());
            activity.SetTag(SseTelemetry.SequenceTag, tick.Sequence);
            activity.SetTag(SseMetrics.RelaySourceTag, backfilled ? "backfill" : "live");
        }

        return activity;
    }

    /// <summary>
    /// Starts the server span of a stream answered below HTTP, a child of the caller's
    /// <c>traceparent</c> when it sent one. It ends once the opening (<c>hello</c> and any replay)
    /// is written: a span open for the stream's whole life would hold its memory for hours and
    /// reach the dashboard only when the stream ends.
    /// </summary>
    public static Activity? StartOpening(string? traceParent, string? traceState)
    {
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        var activity = SseTelemetry.ActivitySource.StartActivity(OpeningName, ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", "GET");
            activity.SetTag("http.route", "/events");
            activity.SetTag("url.path", "/events");
            activity.SetTag("url.scheme", "http");
            activity.SetTag("network.protocol.version", "1.1");
            activity.SetTag("http.response.status_code", 200);
        }

        return activity;
    }

    /// <summary>Starts the span of one client's replay; add each replayed tick with <see cref="AddReplayed"/>.</summary>
    public static Activity? StartReplay(TickId resumeAfter)
    {
        var activity = SseTelemetry.ActivitySource.StartActivity(ReplayName, ActivityKind.Consumer);
        if (activity is { IsAllDataRequested: true })
        {
            SetMessagingTags(activity, "receive", "replay");
            activity.SetTag("aspiresse.replay.after", resumeAfter.ToString());
        }

        return activity;
    }

    public static void AddReplayed(Activity? replay, Tick tick, int replayedSoFar)
    {
        if (replay is { IsAllDataRequested: true } && replayedSoFar <= MaxReplayLinks && PublishContext(tick) is { } published)
        {
            replay.AddLink(new ActivityLink(published));
        }
    }

    /// <summary>Ends a replay's tags: how many ticks, and where from (<see cref="ReplaySource"/>).</summary>
    public static void EndReplay(Activity? replay, int replayed, string source)
    {
        replay?.SetTag("messaging.batch.message_count", replayed);
        replay?.SetTag(SseMetrics.ReplaySourceTag, source);
    }

    private static ActivityContext? PublishContext(Tick tick) =>
        ActivityContext.TryParse(tick.TraceParent, tick.TraceState, isRemote: true, out var context) ? context : null;

    private static void SetMessagingTags(Activity activity, string operationType, string operationName)
    {
        activity.SetTag("messaging.system", "redis");
        activity.SetTag("messaging.operation.type", operationType);
        activity.SetTag("messaging.operation.name", operationName);
        activity.SetTag("messaging.destination.name", ChannelName);
    }
}
