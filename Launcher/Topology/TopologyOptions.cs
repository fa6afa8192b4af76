using AspireSse.TestSupport.Processes;

namespace AspireSse.Launcher.Topology;

/// <summary>What to start: the launcher's command line and the end-to-end tests both fill this in.</summary>
public sealed class TopologyOptions
{
    /// <summary>How many WebFrontend replicas run behind the gateway.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>How many EventService instances run; one holds the lease and ticks, the rest stand by.</summary>
    public int EventServices { get; set; } = 1;

    /// <summary>The gateway's port on 127.0.0.1; 0 picks a free one.</summary>
    public int GatewayPort { get; set; }

    /// <summary>Whether redis-server keeps an append-only file (a restarted server keeps its data).</summary>
    public bool RedisPersistence { get; set; } = true;

    /// <summary>Extra settings for the EventService, e.g. <c>Ticks__Interval</c>.</summary>
    public Dictionary<string, string?> EventServiceEnvironment { get; } = [];

    /// <summary>Extra settings for every WebFrontend replica.</summary>
    public Dictionary<string, string?> WebFrontendEnvironment { get; } = [];

    /// <summary>Where the children's output goes; the launcher prints it, tests usually keep it quiet.</summary>
    public OutputSink Output { get; set; } = static (_, _) => { };

    /// <summary>How long each resource may take to become healthy.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
