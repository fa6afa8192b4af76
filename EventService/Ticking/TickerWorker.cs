using System.Diagnostics;
using AspireSse.Contracts;
using Microsoft.Extensions.Options;

namespace AspireSse.EventService.Ticking;

/// <summary>
/// Publishes one tick every <see cref="TickerOptions.Interval"/> while this instance holds the
/// single-writer lease; otherwise stands by, ready to take over.
/// </summary>
public sealed partial class TickerWorker(
    TickPublisher publisher,
    TickerStatus status,
    TickerMetrics metrics,
    IOptions<TickerOptions> options,
    TimeProvider time,
    ILogger<TickerWorker> logger) : BackgroundService
{
    private static readonly string ChannelName = TickRedisKeys.Channel.ToString();
    private volatile bool _mustResync = true;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(KeepLeaseAsync(stoppingToken), TickAsync(stoppingToken));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (status.IsLeader)
        {
            try
            {
                // Hand over at once instead of making a standby wait out the lease.
                await publisher.ReleaseLeaseAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
                LogReleased();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReleaseFailed(ex);
            }
        }
    }

    private async Task KeepLeaseAsync(CancellationToken stoppingToken)
    {
        var lease = options.Value.LeaseTime;
        // Renewing five times per lease leaves room for a slow call or two before it lapses.
        using var timer = new PeriodicTimer(lease / 5, time);
        do
        {
            try
            {
                var (isLeader, justAcquired) = await publisher.AcquireOrRenewLeaseAsync(lease);
                if (justAcquired)
                {
                    _mustResync = true;
                    LogAcquired(publisher.Token);
                }
                else if (status.IsLeader && !isLeader)
                {
                    LogLost();
                }
                else if (!isLeader && status.LastLeaseCheckAt is null)
                {
                    LogStandingBy();
                }

                status.LeaseChecked(isLeader);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Without Redis nobody can tick; the fencing in the publish script keeps us safe anyway.
                status.NotLeader();
                LogLeaseCheckFailed(ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        TickPosition? position = null;
        // The last tick this instance released: if Redis's count is ever behind it, Redis lost ticks
        // that clients have seen, and numbering on would give their ids new content.
        TickId? released = null;

        // PeriodicTimer does not queue up missed periods: after an outage the ticker resumes at its
        // normal pace instead of firing a catch-up burst.
        using var timer = new PeriodicTimer(settings.Interval, time);
        while (await WaitAsync(timer, stoppingToken))
        {
            if (!status.IsLeader)
            {
                continue;
            }

            try
            {
                // Read where the numbering stands on taking the lease and after every surprise, so a
                // restarted or newly promoted instance continues the count instead of starting over.
                if (_mustResync || position is null)
                {
                    _mustResync = false;
                    if (released is { } seen && await publisher.RetireEpochIfBehindAsync(seen))
                    {
                        LogRolledBack(seen.ToString());
                    }

                    position = await publisher.EnsureEpochAsync();
                    LogPosition(position.Value.Epoch, position.Value.Counter);
                }

                var sequence = position.Value.Counter + 1;
                using var activity = SseTelemetry.ActivitySource.StartActivity($"{ChannelName} publish", ActivityKind.Producer);
                // OpenTelemetry's messaging conventions, so the dashboard groups it with other messaging.
                activity?.SetTag("messaging.system", "redis");
                activity?.SetTag("messaging.operation.type", "send");
                activity?.SetTag("messaging.operation.name", "publish");
                activity?.SetTag("messaging.destination.name", ChannelName);
                activity?.SetTag("messaging.message.id", new TickId(position.Value.Epoch, sequence).ToString());
                activity?.SetTag(SseTelemetry.SequenceTag, sequence);

                // Pub/sub has no headers: the span's context travels inside the tick, so every replica's
                // relay span joins this trace.

                var tick = new Tick(position.Value.Epoch, sequence, time.GetUtcNow(), activity?.Id, activity?.TraceStateString);
                var outcome = settings.ReplicaAcknowledgements == 0
                    ? await publisher.PublishAsync(tick, settings.HistoryLength, settings.LeaseTime)
                    : await publisher.PublishAcknowledgedAsync(tick, settings.HistoryLength, settings.LeaseTime,
                        settings.ReplicaAcknowledgements, settings.ReplicaAcknowledgementTimeout);
                switch (outcome)
                {
                    case PublishOutcome.Published:
                        position = position.Value with { Counter = sequence };
                        released = new TickId(position.Value.Epoch, sequence);
                        if (status.AwaitingAcknowledgementSince is not null)
                        {
                            LogAcknowledgedAgain(sequence);
                        }

                        status.Published(sequence);
                        metrics.Published();
                        LogPublished(sequence);
                        break;
                    case PublishOutcome.NotAcknowledged:
                        // Held back, not lost: the next attempt releases the same tick once a replica has it.
                        activity?.SetStatus(ActivityStatusCode.Error, "not acknowledged by a replica");
                        if (status.AwaitingAcknowledgement(sequence))
                        {
                            LogNotAcknowledged(sequence, settings.ReplicaAcknowledgements, settings.ReplicaAcknowledgementTimeout.TotalMilliseconds);
                        }

                        break;
                    case PublishOutcome.NotLeader:
                        activity?.SetStatus(ActivityStatusCode.Error, "not the leader");
                        status.NotLeader();
                        LogLost();
                        break;
                    default:
                        activity?.SetStatus(ActivityStatusCode.Error, "counter moved");
                        LogCounterMoved(sequence);
                        position = null;
                        break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Redis being away is an expected state for a relay: log it, forget what we thought the
                // counter was (it may have moved while we could not see it) and try at the next period.
                LogPublishFailed(ex, position?.Counter + 1);
                position = null;
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published tick {Sequence}")]
    private partial void LogPublished(long sequence);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Tick {Sequence} is written but fewer than {Replicas} replica(s) acknowledged it within {TimeoutMs} ms; holding it back (ticking pauses) until one does")]
    private partial void LogNotAcknowledged(long sequence, int replicas, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "A replica holds tick {Sequence} again: published, ticking goes on")]
    private partial void LogAcknowledgedAgain(long sequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Took the single-writer lease as {Token}: this instance ticks now")]
    private partial void LogAcquired(string token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the single-writer lease: another instance ticks now; standing by")]
    private partial void LogLost();

    [LoggerMessage(Level = LogLevel.Information, Message = "Standing by: another instance holds the single-writer lease and ticks")]
    private partial void LogStandingBy();

    [LoggerMessage(Level = LogLevel.Information, Message = "Released the single-writer lease")]
    private partial void LogReleased();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the single-writer lease; a standby takes over when it expires")]
    private partial void LogReleaseFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the single-writer lease failed; retrying")]
    private partial void LogLeaseCheckFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Numbering stands at epoch {Epoch}, tick {Counter}")]
    private partial void LogPosition(string epoch, long counter);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis came back with older data: its count is behind tick {Released}, which this instance released. Retired the epoch; numbering starts again in a new one, and every client gets a reset.")]
    private partial void LogRolledBack(string released);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Did not publish tick {Sequence}: the counter or epoch in Redis moved. Re-reading it.")]
    private partial void LogCounterMoved(long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing tick {Sequence} failed; retrying at the next interval")]
    private partial void LogPublishFailed(Exception exception, long? sequence);
}
