using System.ComponentModel.DataAnnotations;

namespace AspireSse.WebFrontend.Hosting;

/// <summary>The <c>PortSharing</c> configuration section.</summary>
public sealed class PortSharingOptions
{
    public const string SectionName = "PortSharing";

    /// <summary>
    /// A port this replica listens on together with other replicas on the same machine (Linux
    /// <c>SO_REUSEPORT</c>): the kernel spreads new connections over them, so several replicas on one
    /// box serve one URL with no proxy in between. 0 (the default) shares nothing. The replica's own
    /// URLs must include this port; its other ports (for health probes, stats) stay its own.
    /// </summary>
    [Range(0, 65535, ErrorMessage = "PortSharing:Port must be between 0 (off) and 65535.")]
    public int Port { get; set; }
}
