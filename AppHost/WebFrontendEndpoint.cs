using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AspireSse.AppHost;

/// <summary>
/// The one URL browsers use for the WebFrontend: the port of Aspire's proxy in front of every replica.
/// </summary>
internal static class WebFrontendEndpoint
{
    /// <summary>The proxy's port; unset keeps the project's launch profile port (5190), 0 lets Aspire pick a free one.</summary>
    public const string PortSetting = "WebFrontend:Port";

    /// <summary>Uses the port the <c>WebFrontend:Port</c> setting names, and says on the console where the page is.</summary>
    public static IResourceBuilder<ProjectResource> WithPublicUrl(this IResourceBuilder<ProjectResource> webFrontend, IConfiguration configuration)
    {
        if (configuration[PortSetting] is { Length: > 0 } setting)
        {
            if (!int.TryParse(setting, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 0 or > 65535)
            {
                throw new InvalidOperationException($"{PortSetting} is '{setting}'. Use a port number from 1 to 65535, or 0 for a free one.");
            }

            webFrontend.WithEndpoint("http", endpoint => endpoint.Port = port == 0 ? null : port);
        }

        webFrontend.ApplicationBuilder.Eventing.Subscribe<ResourceEndpointsAllocatedEvent>(webFrontend.Resource, (allocated, _) =>
        {
            var url = webFrontend.Resource.GetEndpoint("http").Url;
            allocated.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AspireSse.AppHost")
                .LogInformation("The page and its stream: {Url} (every webfrontend replica, behind Aspire's proxy)", url);
            return Task.CompletedTask;
        });
        return webFrontend;
    }
}
