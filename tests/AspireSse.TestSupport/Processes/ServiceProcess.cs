namespace AspireSse.TestSupport.Processes;

/// <summary>One of the .NET services, run from its build output with the environment Aspire would give it.</summary>
public sealed class ServiceProcess : ManagedProcess
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    public ServiceProcess(string name, string serviceName, string assemblyPath, string projectDirectory, int port,
        IReadOnlyDictionary<string, string?> environment, OutputSink output)
        // Like Aspire, run from the project directory: it is the content root, where appsettings.json
        // and wwwroot are found.
        : base(name, DotnetHost, [assemblyPath], environment, output, projectDirectory)
    {
        ServiceName = serviceName;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The OpenTelemetry service name, e.g. <c>webfrontend</c>; <see cref="ManagedProcess.Name"/> is the replica.</summary>
    public string ServiceName { get; }

    public Uri Url { get; }

    /// <summary>The dotnet host that runs this process runs the services too.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
                ? self
                : "dotnet";

    /// <summary>Polls <c>/health</c> until it answers 200; fails early if the process dies.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var health = new Uri(Url, "/health");
        string last = "no answer";
        try
        {
            while (true)
            {
                if (!IsRunning)
                {
                    throw new InvalidOperationException(
                        $"{Name} exited before it became healthy. Its last output:{Environment.NewLine}{RecentOutput}");
                }

                try
                {
                    using var response = await Probe.GetAsync(health, deadline.Token);
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(deadline.Token)}";
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException
                                           || (ex is TaskCanceledException && !deadline.IsCancellationRequested))
                {
                    last = ex.Message;
                }

                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} was not healthy within {timeout.TotalSeconds:F0} s (last answer: {last}).");
        }
    }
}
