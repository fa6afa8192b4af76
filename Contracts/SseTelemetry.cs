using System.Diagnostics;

namespace AspireSse.Contracts;

/// <summary>
/// The one ActivitySource and Meter both services emit on, registered with OpenTelemetry by
/// <c>AddServiceDefaults()</c> so nothing the services record is silently dropped.
/// </summary>
public static class SseTelemetry
{
    public const string ActivitySourceName = "AspireSse";
    public const string MeterName = "AspireSse";

    /// <summary>The tick's sequence number, on the publish span and on every relay span.</summary>
    public const string SequenceTag = "aspiresse.tick.sequence";

    /// <summary>On a relay span: how many of this replica's clients the tick was queued for.</summary>
    public const string RelayClientsTag = "aspiresse.relay.clients";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
