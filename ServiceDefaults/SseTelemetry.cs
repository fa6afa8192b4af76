using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AspireSse.ServiceDefaults;

/// <summary>
/// The one ActivitySource and Meter both services emit on, registered with OpenTelemetry by
/// <c>AddServiceDefaults()</c> so nothing the services record is silently dropped.
/// </summary>
public static class SseTelemetry
{
    public const string ActivitySourceName = "AspireSse";
    public const string MeterName = "AspireSse";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
