using System.Reflection;

namespace AspireSse.TestSupport.Processes;

/// <summary>Finds the services' build output: the same configuration this library was built with.</summary>
public static class ServiceBinaries
{
    public static string RepositoryRoot => Metadata("AspireSse.RepositoryRoot");

    public static string EventService => PathOf("EventService", "AspireSse.EventService");

    public static string WebFrontend => PathOf("WebFrontend", "AspireSse.WebFrontend");

    public static string EventServiceProject => Path.Combine(RepositoryRoot, "EventService");

    public static string WebFrontendProject => Path.Combine(RepositoryRoot, "WebFrontend");

    private static string PathOf(string folder, string assembly)
    {
        var path = Path.Combine(RepositoryRoot, folder, "bin", Metadata("AspireSse.Configuration"),
            Metadata("AspireSse.TargetFramework"), assembly + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"{assembly} has not been built ({path} is missing). Build the solution filter first: " +
                "dotnet build AspireSse.sln", path);
    }

    private static string Metadata(string key) =>
        typeof(ServiceBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing from the TestSupport build.");
}
