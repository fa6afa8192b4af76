namespace AspireSse.AppHost;

/// <summary>
/// The redis-server processes the AppHost runs as executables, each started from a config file that
/// holds its password. An argument would not do: every user of the machine can read a process's command
/// line (<c>ps</c>, <c>/proc/&lt;pid&gt;/cmdline</c>), and Aspire shows it in the dashboard. So the files
/// are readable by their owner only, and so is every file redis-server writes itself: the Sentinels
/// rewrite their own config and the nodes' (<c>CONFIG REWRITE</c>), each time with the process's umask.
/// </summary>
internal static class RedisConfigFile
{
    /// <summary>What a node's or the single server's config file is called, in its data directory.</summary>
    public const string ServerFileName = "redis.conf";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// redis-server started from <paramref name="configFile"/> (then <paramref name="arguments"/>), through
    /// a shell that sets the umask and then becomes redis-server itself: the process Aspire watches, stops
    /// and reports the id of is redis-server's.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddRedisServerExecutable(this IDistributedApplicationBuilder builder,
        string name, string workingDirectory, string configFile, params string[] arguments) =>
        builder.AddExecutable(name, "/bin/sh", workingDirectory,
            ["-c", "umask 077 && exec redis-server \"$@\"", "redis-server", configFile, .. arguments]);

    /// <summary>What every redis-server of the AppHost runs with: loopback only, the password, the data directory and its durability.</summary>
    public static List<string> ServerLines(string port, string password, string directory) =>
    [
        $"port {port}",
        "bind 127.0.0.1",
        $"requirepass {password}",
        $"dir {Quoted(directory)}",
        // The append-only file is the one copy on disk; a snapshot beside it would be written for nothing.
        "save \"\"",
        .. RedisDurability.ConfigLines,
    ];

    /// <summary>A path as a config value: quoted, so a space in it does not split it into two arguments.</summary>
    public static string Quoted(string value) => $"\"{value.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";

    /// <summary>
    /// Replaces the file with <paramref name="lines"/>: written to a new file created owner-only and then
    /// renamed over the old one, so no reader sees half a config, and a file already there that anyone
    /// could read does not keep its mode.
    /// </summary>
    public static async Task WriteAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var next = path + ".next";
        File.Delete(next);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        await using (var stream = new FileStream(next, options))
        await using (var writer = new StreamWriter(stream))
        {
            foreach (var line in lines)
            {
                await writer.WriteLineAsync(line.AsMemory(), cancellationToken);
            }
        }

        File.Move(next, path, overwrite: true);
    }
}
