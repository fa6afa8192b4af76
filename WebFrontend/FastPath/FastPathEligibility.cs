using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// Whether <see cref="TickStreamConnections"/> may answer <c>GET /events</c> below HTTP: only when
/// nothing the HTTP pipeline would do for that request is lost by skipping it.
/// </summary>
/// <remarks>
/// Why it is decided here and not left to a setting: a stream answered below HTTP bypasses every
/// middleware and every piece of endpoint metadata, so an app that protects <c>/events</c> (or
/// copies this code and then does) would serve it unprotected. Instead, as soon as the app has
/// authentication, a global rate limiter or host filtering, or the endpoint asks for authorization,
/// rate limiting, CORS or a host, every stream goes through the endpoint. The answer is worked out
/// on the first connection, when the app is built and its endpoints mapped, and kept: none of these
/// change while the app runs.
/// </remarks>
internal sealed partial class FastPathEligibility
{
    private static readonly PathString Path = "/events";

    private readonly Lazy<Task<bool>> _allowed;

    public FastPathEligibility(IServiceProvider services, ILogger<FastPathEligibility> logger) =>
        _allowed = new(async () =>
        {
            var reasons = await ReasonsAgainstAsync(services);
            if (reasons.Count > 0)
            {
                LogFastPathOff(logger, string.Join("; ", reasons));
            }

            return reasons.Count == 0;
        });

    /// <summary>True when a connection's first <c>GET /events</c> may be answered below HTTP.</summary>
    public Task<bool> IsAllowedAsync() => _allowed.Value;

    /// <summary>What the HTTP pipeline would do for <c>GET /events</c> that the fast path would not; empty when nothing.</summary>
    internal static async Task<List<string>> ReasonsAgainstAsync(IServiceProvider services)
    {
        var reasons = new List<string>();
        var endpoints = services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Where(AnswersGetEvents).ToList();
        if (endpoints.Count == 0)
        {
            // The fast path stands in for the endpoint; without one it must not answer at all.
            reasons.Add("no endpoint answers GET /events");
        }

        foreach (var endpoint in endpoints)
        {
            var metadata = endpoint.Metadata;
            var name = endpoint.DisplayName ?? endpoint.RoutePattern.RawText;
            if (metadata.GetMetadata<IAuthorizeData>() is not null || metadata.GetMetadata<AuthorizationPolicy>() is not null
                || metadata.GetMetadata<IAuthorizationRequirementData>() is not null)
            {
                reasons.Add($"endpoint '{name}' requires authorization");
            }

            if (metadata.GetMetadata<EnableRateLimitingAttribute>() is not null)
            {
                reasons.Add($"endpoint '{name}' is rate limited");
            }

            if (metadata.GetMetadata<ICorsMetadata>() is not null)
            {
                reasons.Add($"endpoint '{name}' has a CORS policy");
            }

            if (metadata.GetMetadata<IHostMetadata>() is { Hosts.Count: > 0 })
            {
                reasons.Add($"endpoint '{name}' requires a host");
            }
        }

        if (services.GetService<IAuthenticationSchemeProvider>() is { } schemes
            && (await schemes.GetAllSchemesAsync()).Select(s => s.Name).ToList() is { Count: > 0 } names)
        {
            reasons.Add($"authentication is registered (schemes: {string.Join(", ", names)})");
        }

        if (services.GetRequiredService<IOptions<AuthorizationOptions>>().Value.FallbackPolicy is not null)
        {
            reasons.Add("authorization has a fallback policy");
        }

        if (services.GetRequiredService<IOptions<RateLimiterOptions>>().Value.GlobalLimiter is not null)
        {
            reasons.Add("a global rate limiter is configured");
        }

        // "*" among the hosts (appsettings' default) lets every host through: nothing to filter.
        if (services.GetRequiredService<IOptions<HostFilteringOptions>>().Value.AllowedHosts is { Count: > 0 } hosts
            && !hosts.Contains("*"))
        {
            reasons.Add($"host filtering allows only {string.Join(";", hosts)}");
        }

        return reasons;
    }

    // Every endpoint the router could pick for GET /events counts, a catch-all included: erring that
    // way only costs memory, the other way it would skip a check.
    private static bool AnswersGetEvents(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 } methods
            && !methods.HttpMethods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        var matcher = new TemplateMatcher(new RouteTemplate(endpoint.RoutePattern), new RouteValueDictionary(endpoint.RoutePattern.Defaults));
        return matcher.TryMatch(Path, new RouteValueDictionary());
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "GET /events is not answered below HTTP (the fast path is off); every stream goes through the HTTP pipeline, because: {Reasons}")]
    private static partial void LogFastPathOff(ILogger logger, string reasons);
}
