using System.Text;
using Aspire.Hosting.Testing;
using AspireSse.SystemTesting;
using StackExchange.Redis;

namespace AspireSse.AppHost.Tests;

/// <summary>Where another user of the machine could read the AppHost's Redis password, looked for as they would: <c>ps</c> and <c>ls -l</c>.</summary>
internal static class RedisPasswordChecks
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task<string> PasswordAsync(RunningSystem system, CancellationToken cancellationToken) =>
        ConfigurationOptions.Parse(await system.App.GetConnectionStringAsync("redis", cancellationToken)
            ?? throw new InvalidOperationException("The redis resource has no connection string.")).Password
        ?? throw new InvalidOperationException("The redis connection string has no password.");

    /// <summary>Neither a Redis process's command line nor the arguments Aspire started it with (the dashboard shows them) name the password.</summary>
    public static void AssertOnNoCommandLine(RunningSystem system, string password, IEnumerable<string> resources)
    {
        foreach (var resource in resources)
        {
            var instance = Assert.Single(system.Instances(resource));
            var commandLine = File.ReadAllText($"/proc/{system.ProcessIdOf(instance)}/cmdline").Replace('\0', ' ');
            Assert.Contains("redis-server", commandLine, StringComparison.Ordinal);
            Assert.DoesNotContain(password, commandLine, StringComparison.Ordinal);
            Assert.DoesNotContain(password, string.Join(' ', system.LaunchArgumentsOf(instance)), StringComparison.Ordinal);
        }
    }

    /// <summary>Every file under the data directory that holds the password is readable and writable by its owner only; at least <paramref name="atLeast"/> do hold it.</summary>
    public static void AssertOnlyInOwnerOnlyFiles(string dataDirectory, string password, int atLeast)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Unix file modes are checked on Unix only.");
        }

        var holding = Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => Holds(f, password))
            .ToDictionary(f => Path.GetRelativePath(dataDirectory, f), File.GetUnixFileMode);
        Assert.True(holding.Count >= atLeast, $"{holding.Count} file(s) hold the password: {string.Join(", ", holding.Keys)}");
        Assert.All(holding, file => Assert.True(file.Value == OwnerOnly, $"{file.Key} holds the password with mode {file.Value}"));
    }

    private static bool Holds(string file, string password)
    {
        var needle = Encoding.UTF8.GetBytes(password);
        return File.ReadAllBytes(file).AsSpan().IndexOf(needle) >= 0;
    }
}
