namespace AspireSse.AppHost;

/// <summary>
/// How every Redis the AppHost runs keeps its data: in an append-only file that reaches the disk
/// before Redis answers the write. A released tick has been seen by readers; with snapshots or a
/// once-a-second fsync a crashed Redis would come back without it and number a different tick the same.
/// </summary>
internal static class RedisDurability
{
    private static readonly (string Name, string Value)[] Settings =
    [
        ("appendonly", "yes"),
        ("appendfsync", "always"),
    ];

    /// <summary>The settings as <c>redis.conf</c> lines.</summary>
    public static IEnumerable<string> ConfigLines => Settings.Select(s => $"{s.Name} {s.Value}");

    /// <summary>The settings as redis-server arguments.</summary>
    public static string[] Arguments => [.. Settings.SelectMany(s => (string[])[$"--{s.Name}", s.Value])];
}
