using AspireSse.EventService.Ticking;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class TickerExtensions
{
    /// <summary>The ticker: Redis connection, options, the worker and its readiness check.</summary>
    public static IHostApplicationBuilder AddTicker(this IHostApplicationBuilder builder)
    {
        builder.AddRedisConnection("redis", redis =>
            // While Redis is unreachable, fail each publish at once rather than queue it: a queue
            // would be flushed on reconnect as a burst of stale ticks.
            redis.BacklogPolicy = BacklogPolicy.FailFast);

        builder.Services.AddOptions<TickerOptions>()
            .BindConfiguration(TickerOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.LeaseTime > o.Interval * 2,
                "Ticks:LeaseTime must be more than twice Ticks:Interval, or the lease would lapse between ticks.")
            .Validate(o => o.ReplicaAcknowledgements == 0 || o.ReplicaAcknowledgementTimeout * 5 <= o.LeaseTime,
                "Ticks:ReplicaAcknowledgementTimeout must be at most a fifth of Ticks:LeaseTime: a WAIT holds up the lease renewals behind it.")
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TickerStatus>();
        builder.Services.AddSingleton<TickPublisher>();
        builder.Services.AddSingleton<TickerMetrics>();
        builder.Services.AddHostedService<TickerWorker>();

        builder.Services.AddHealthChecks().AddCheck<TickerHealthCheck>("ticker", tags: ["ready"]);
        return builder;
    }
}
