using AspireSse.WebFrontend.Authorization;
using Microsoft.AspNetCore.Authentication;

namespace Microsoft.Extensions.Hosting;

public static class StreamAuthorizationExtensions
{
    /// <summary>
    /// When <c>StreamAuthorization:ApiKey</c> is set, registers the <c>ApiKey</c> authentication
    /// scheme (<see cref="ApiKeyAuthenticationHandler"/>) and authorization, which <c>MapTickStream</c>
    /// and <c>MapTickStats</c> then require (<c>RequireStreamAuthorization</c>). Unset, nothing is registered.
    /// </summary>
    public static IHostApplicationBuilder AddStreamAuthorization(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StreamAuthorizationOptions>()
            .BindConfiguration(StreamAuthorizationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Decided from configuration because services cannot be added once options are read. Without
        // a key no scheme is registered: any scheme turns the below-HTTP path off (FastPathEligibility).
        if (string.IsNullOrEmpty(builder.Configuration[$"{StreamAuthorizationOptions.SectionName}:{nameof(StreamAuthorizationOptions.ApiKey)}"]))
        {
            return builder;
        }

        // WebApplication adds the authentication and authorization middleware itself once these are registered.
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorization();
        return builder;
    }
}
