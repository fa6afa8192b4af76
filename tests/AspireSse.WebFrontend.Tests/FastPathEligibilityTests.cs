using System.Threading.RateLimiting;
using AspireSse.WebFrontend.FastPath;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// When the below-HTTP path must stand aside (<see cref="FastPathEligibility"/>), decided on a real,
/// started ASP.NET Core app in this process: each case adds one thing a copier of the code might add.
/// </summary>
public sealed class FastPathEligibilityTests
{
    [Theory]
    [InlineData("authorization on POST /events and on /events/stats only", null)]
    [InlineData("authorization on /events", "requires authorization")]
    [InlineData("an authorization policy on /events", "requires authorization")]
    [InlineData("authorization on a group holding /events", "requires authorization")]
    [InlineData("authorization on a catch-all fallback", "requires authorization")]
    [InlineData("rate limiting on /events", "is rate limited")]
    [InlineData("CORS on /events", "has a CORS policy")]
    [InlineData("a host on /events", "requires a host")]
    [InlineData("/events mapped elsewhere", "no endpoint answers GET /events")]
    [InlineData("an authentication scheme", "authentication is registered (schemes: Cookies)")]
    [InlineData("an authorization fallback policy", "authorization has a fallback policy")]
    [InlineData("a global rate limiter", "a global rate limiter is configured")]
    [InlineData("allowed hosts", "host filtering allows only example.com")]
    public async Task TheFastPathStandsAsideWhenMiddlewareOrEndpointMetadataMustSeeTheStream(string added, string? reason)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // As in the WebFrontend's appsettings.json: every host is allowed, which must not count.
            ["AllowedHosts"] = added == "allowed hosts" ? "example.com" : "*",
        });
        builder.Services.AddAuthorization(options =>
        {
            if (added == "an authorization fallback policy")
            {
                options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
            }
        });
        builder.Services.AddCors();
        builder.Services.AddRateLimiter(options =>
        {
            options.AddConcurrencyLimiter("streams", limiter => limiter.PermitLimit = 10);
            if (added == "a global rate limiter")
            {
                options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(_ => RateLimitPartition.GetNoLimiter("all"));
            }
        });
        if (added == "an authentication scheme")
        {
            builder.Services.AddAuthentication().AddCookie();
        }

        await using var app = builder.Build();
        // Endpoints that are not GET /events never count.
        app.MapGet("/events/stats", () => "stats").RequireAuthorization();
        app.MapPost("/events", () => "posted").RequireAuthorization();
        var events = added switch
        {
            "/events mapped elsewhere" => app.MapGet("/api/events", () => "events"),
            "authorization on a group holding /events" => app.MapGroup("").RequireAuthorization().MapGet("/events", () => "events"),
            _ => app.MapGet("/events", () => "events"),
        };
        _ = added switch
        {
            "authorization on /events" => events.RequireAuthorization(),
            "an authorization policy on /events" => events.RequireAuthorization(policy => policy.RequireClaim("scope", "ticks")),
            "authorization on a catch-all fallback" => app.MapFallback(() => "fallback").RequireAuthorization(),
            "rate limiting on /events" => events.RequireRateLimiting("streams"),
            "CORS on /events" => events.RequireCors(cors => cors.AllowAnyOrigin()),
            "a host on /events" => events.RequireHost("example.com"),
            _ => events,
        };
        // Endpoints reach the app's EndpointDataSource when the pipeline is built, at start.
        await app.StartAsync(TestContext.Current.CancellationToken);

        var reasons = await FastPathEligibility.ReasonsAgainstAsync(app.Services);
        await app.StopAsync(TestContext.Current.CancellationToken);

        if (reason is null)
        {
            Assert.Empty(reasons);
        }
        else
        {
            Assert.Contains(reasons, r => r.Contains(reason, StringComparison.Ordinal));
        }
    }
}
