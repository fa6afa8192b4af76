using AspireSse.WebFrontend.Admission;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Microsoft.Extensions.Hosting;

public static class AdmissionExtensions
{
    /// <summary>
    /// Caps connections and streams from the replica's real limits (<see cref="AdmissionLimits"/>),
    /// and cuts connections that are slow to say what they want.
    /// </summary>
    public static IHostApplicationBuilder AddAdmission(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdmissionOptions>()
            .BindConfiguration(AdmissionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(services => AdmissionLimits.Derive(
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdmissionOptions>>(),
            services.GetRequiredService<ILogger<AdmissionLimits>>()));

        builder.Services.AddOptions<KestrelServerOptions>().Configure<AdmissionLimits, Microsoft.Extensions.Options.IOptions<AdmissionOptions>>(
            (kestrel, limits, options) =>
            {
                // Kestrel closes a connection beyond this at once, before any of it is read. A lower
                // limit configured for Kestrel itself is kept.
                if (limits.MaxConnections is { } max && !(kestrel.Limits.MaxConcurrentConnections < max))
                {
                    kestrel.Limits.MaxConcurrentConnections = max;
                }

                // A connection that sends nothing waits under the keep-alive timeout, one that sends its
                // head slowly under the request-headers timeout: both bounded by the same setting.
                var timeout = options.Value.RequestHeadTimeout;
                kestrel.Limits.RequestHeadersTimeout = Min(kestrel.Limits.RequestHeadersTimeout, timeout);
                kestrel.Limits.KeepAliveTimeout = Min(kestrel.Limits.KeepAliveTimeout, timeout);
            });

        builder.Services.AddOptions<SocketTransportOptions>().Configure<AdmissionLimits>(
            (transport, limits) => transport.Backlog = limits.Backlog);

        builder.Services.AddHealthChecks().AddCheck<AdmissionHealthCheck>("admission", tags: ["ready"]);
        return builder;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
