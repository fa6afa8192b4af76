using System.Reflection;

namespace AspireSse.Bench.Systems;

/// <summary>Paths the build stamped into this assembly: where the bench-only projects and the results directory are.</summary>
public static class BuildMetadata
{
    public static string ResultsDirectory => Get("AspireSse.Bench.ResultsDirectory");

    /// <summary>
    /// The built assembly of a bench-only project whose folder is stamped as <paramref name="projectKey"/>,
    /// built in the same configuration and framework as the benchmark.
    /// </summary>
    public static (string Project, string Assembly) BuiltProject(string projectKey, string assemblyName)
    {
        var project = Get(projectKey);
        var path = Path.Combine(project, "bin", Get("AspireSse.Bench.Configuration"), Get("AspireSse.Bench.TargetFramework"),
            assemblyName + ".dll");
        return File.Exists(path)
            ? (project, path)
            : throw new FileNotFoundException($"{assemblyName} has not been built ({path} is missing).", path);
    }

    public static string Get(string key) =>
        typeof(BuildMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing from the benchmark build.");
}
