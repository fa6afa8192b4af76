using System.Reflection;

namespace AspireSse.Bench.Systems;

/// <summary>Paths the build stamped into this assembly: where the hub's output and the results directory are.</summary>
public static class BuildMetadata
{
    public static string ResultsDirectory => Get("AspireSse.Bench.ResultsDirectory");

    public static string Get(string key) =>
        typeof(BuildMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing from the benchmark build.");
}
