using System.Diagnostics;
using AspireSse.ServiceDefaults;
using AspireSse.ServiceDefaults.Ticks;
using Microsoft.Extensions.Options;

namespace AspireSse.EventService.Ticking;

/// <summary>Publishes one tick every <see cref="TickerOptions.Interval"/>.</summary>
public sealed partial class TickerWorker(
    TickPublisher publisher,
    TickerStatus status,
    IOptions<TickerOptions> options,
    TimeProvider time,
    ILogger<TickerWorker> logger) : BackgroundService
{
    private static readonly string ChannelName = TickRedisKeys.Channel.ToString();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        long? last = null;

        // PeriodicTimer does not queue up missed periods: after an outage the ticker resumes at its
        // normal pace instead of firing a catch-up burst.
        using var timer = new PeriodicTimer(settings.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // Read where the counter stands before the first tick and after every surprise, so a
                // restarted service continues the count instead of starting over.
                last ??= await publisher.ReadCounterAsync();
                var sequence = last.Value + 1;

                using var activity = SseTelemetry.ActivitySource.StartActivity($"{ChannelName} publish", ActivityKind.Producer);
                activity?.SetTag("messaging.system", "redis");
                activity?.SetTag("messaging.operation.type", "send");
                activity?.SetTag("messaging.destination.name", ChannelName);
                activity?.SetTag("aspiresse.tick.sequence", sequence);

                var tick = new Tick(sequence, time.GetUtcNow(), activity?.Id, activity?.TraceStateString);
                var result = await publisher.PublishAsync(tick, settings.HistoryLength);
                if (result.Published)
                {
                    last = sequence;
                    status.Published(sequence);
                    LogPublished(sequence, result.Receivers);
                }
                else
                {
                    activity?.SetStatus(ActivityStatusCode.Error, "counter moved");
                    LogCounterMoved(sequence, result.Counter);
                    last = result.Counter;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Redis being away is an expected state for a relay: log it, forget what we thought the
                // counter was (it may have moved while we could not see it) and try at the next period.
                LogPublishFailed(ex, last + 1);
                last = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published tick {Sequence} to {Receivers} subscriber(s)")]
    private partial void LogPublished(long sequence, long receivers);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Did not publish tick {Sequence}: the counter in Redis is {Counter}. Continuing from there.")]
    private partial void LogCounterMoved(long sequence, long counter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing tick {Sequence} failed; retrying at the next interval")]
    private partial void LogPublishFailed(Exception exception, long? sequence);
}
