using AspireSse.WebFrontend.Authorization;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class StreamAuthorizationEndpointExtensions
{
    /// <summary>
    /// Requires authorization on <paramref name="endpoint"/> when <c>StreamAuthorization:ApiKey</c> is
    /// set (<c>AddStreamAuthorization</c>). The stream and what it shows of the count elsewhere
    /// (<c>/events/stats</c>) ask for it here, so what the key protects cannot be read around it.
    /// </summary>
    public static TBuilder RequireStreamAuthorization<TBuilder>(this TBuilder endpoint, IEndpointRouteBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder
    {
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<StreamAuthorizationOptions>>().Value.IsEnabled)
        {
            endpoint.RequireAuthorization();
        }

        return endpoint;
    }
}
