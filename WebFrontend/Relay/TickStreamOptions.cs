using System.ComponentModel.DataAnnotations;

namespace AspireSse.WebFrontend.Relay;

/// <summary>The <c>TickStream</c> configuration section.</summary>
public sealed class TickStreamOptions
{
    public const string SectionName = "TickStream";

    /// <summary>
    /// How often an idle stream gets a <c>heartbeat</c> event. Proxies and load balancers close
    /// connections that stay silent (YARP after 100 s, many others after 60 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00",
        ErrorMessage = "TickStream:HeartbeatInterval must be between 100 ms and 10 minutes.")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Events buffered per client. A client that falls this far behind is cut rather than allowed to
    /// hold memory or slow anyone else down.
    /// </summary>
    [Range(4, 1_000_000, ErrorMessage = "TickStream:ClientQueueCapacity must be between 4 and 1000000.")]
    public int ClientQueueCapacity { get; set; } = 256;
}
