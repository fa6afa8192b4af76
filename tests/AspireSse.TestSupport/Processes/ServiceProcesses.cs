namespace AspireSse.TestSupport.Processes;

/// <summary>
/// One service on its own, from its build output, wired to a redis-server of the test's (or the
/// benchmark's): for tests of one service and for measuring one replica. The whole system runs
/// through the AppHost instead.
/// </summary>
public static class ServiceProcesses
{
    /// <summary>An EventService process wired to <paramref name="redis"/>; not started.</summary>
    public static ServiceProcess CreateEventService(RedisServer redis, string name,
        IReadOnlyDictionary<string, string?> settings, OutputSink output) =>
        Create(redis, name, "eventservice", ServiceBinaries.EventService, ServiceBinaries.EventServiceProject, settings, output);

    /// <summary>A WebFrontend process wired to <paramref name="redis"/>; not started.</summary>
    /// <param name="sharedPort">
    /// A port it also listens on together with other replicas (<c>PortSharing:Port</c>), or 0; its
    /// <see cref="ServiceProcess.Url"/> stays a port of its own, for its health and stats.
    /// </param>
    public static ServiceProcess CreateWebFrontend(RedisServer redis, string name,
        IReadOnlyDictionary<string, string?> settings, OutputSink output, int sharedPort = 0) =>
        Create(redis, name, "webfrontend", ServiceBinaries.WebFrontend, ServiceBinaries.WebFrontendProject, settings, output, sharedPort);

    private static ServiceProcess Create(RedisServer redis, string name, string serviceName, string assembly,
        string projectDirectory, IReadOnlyDictionary<string, string?> settings, OutputSink output, int sharedPort = 0)
    {
        var port = FreePort.Next();
        var environment = new Dictionary<string, string?>
        {
            // The variables Aspire sets on a project resource that references Redis.
            ["ASPNETCORE_URLS"] = sharedPort == 0 ? $"http://127.0.0.1:{port}" : $"http://127.0.0.1:{port};http://127.0.0.1:{sharedPort}",
            ["PortSharing__Port"] = sharedPort == 0 ? null : sharedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["OTEL_SERVICE_NAME"] = serviceName,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={name}",
            ["LOGGING__CONSOLE__FORMATTERNAME"] = "simple",
        };

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return new ServiceProcess(name, serviceName, assembly, projectDirectory, port, environment, output);
    }
}
