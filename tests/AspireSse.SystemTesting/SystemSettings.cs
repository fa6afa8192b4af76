using AspireSse.TestSupport;

namespace AspireSse.SystemTesting;

/// <summary>
/// What a test changes about the AppHost's system before it starts: settings for the services (as
/// environment variables, e.g. <c>Ticks__Interval</c>), extra WebFrontends outside the shared URL, and
/// whether the dashboard runs.
/// </summary>
public sealed class SystemSettings
{
    /// <summary>Settings for every EventService instance.</summary>
    public Dictionary<string, string?> EventService { get; } = [];

    /// <summary>Settings for every WebFrontend replica behind the shared URL.</summary>
    public Dictionary<string, string?> WebFrontend { get; } = [];

    /// <summary>How many WebFrontend replicas run behind the shared URL; null keeps the AppHost's three.</summary>
    public int? WebFrontendReplicas { get; set; }

    /// <summary>
    /// WebFrontends of the test's own, by resource name, each with its settings: not behind the shared
    /// URL, so only the test's clients reach them.
    /// </summary>
    public Dictionary<string, Dictionary<string, string?>> ExtraWebFrontends { get; } = [];

    /// <summary>
    /// Where redis-server keeps its data; by default a new directory for this system alone, removed with it.
    /// A directory of the test's own outlives the system, as the AppHost's own data directory does.
    /// </summary>
    public string? RedisDataDirectory { get; init; }

    /// <summary>
    /// Runs the AppHost's highly available Redis (<c>Redis:Topology=sentinel</c>): a primary, a replica
    /// and three Sentinels, which call a server down after <see cref="SentinelDownAfter"/>.
    /// </summary>
    public bool Sentinel { get; set; }

    /// <summary>The Sentinels' <c>down-after-milliseconds</c>: short, so a failover happens within a test's seconds.</summary>
    public TimeSpan SentinelDownAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Runs the Aspire dashboard, as <c>dotnet run --project AppHost</c> does; tests that do not read it leave it off.</summary>
    public bool Dashboard { get; init; }

    /// <summary>Runs every WebFrontend with its fast path (the default) or as the plain pattern.</summary>
    public FastPathMode FastPath
    {
        init
        {
            WebFrontend[FastPathSetting.Name] = value.Value();
        }
    }

    /// <summary>Ticks this often instead of once a second, so faults land mid-stream.</summary>
    public TimeSpan? TickInterval
    {
        init
        {
            EventService["Ticks__Interval"] = value?.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
