using AspireSse.TestSupport.Processes;

namespace AspireSse.TestSupport;

public static class HealthProbe
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>The status code of the service's <c>/health</c>, or 0 when it does not answer.</summary>
    public static Task<int> StatusAsync(ServiceProcess service) => StatusAsync(service.Url);

    /// <summary>The status code of <c>/health</c> (or <paramref name="path"/>, e.g. <c>/alive</c>) at a service's own URL, or 0 when it does not answer.</summary>
    public static async Task<int> StatusAsync(Uri serviceUrl, string path = "/health")
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(serviceUrl, path));
            return (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }
}
