using System.Globalization;

namespace AspireSse.Bench;

/// <summary>What the report says about the machine: figures mean little without it.</summary>
public static class MachineInfo
{
    public static string Describe()
    {
        var model = ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
            ?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var kernel = ReadLines("/proc/sys/kernel/osrelease").FirstOrDefault() ?? "unknown kernel";
        var memory = ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            ?.Split(':', 2)[1].Trim().Split(' ')[0];
        var gib = long.TryParse(memory, CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1024.0 / 1024:0} GiB" : "? GiB";
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores ({model}), {gib}, Linux {kernel}, .NET {Environment.Version}");
    }

    /// <summary>The 1, 5 and 15 minute load averages: how busy the machine already was.</summary>
    public static string LoadAverage() =>
        string.Join(" / ", (ReadLines("/proc/loadavg").FirstOrDefault() ?? "? ? ?").Split(' ').Take(3));

    /// <summary>The soft limit on open files: each client needs one.</summary>
    public static long OpenFileLimit()
    {
        var line = ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.TryParse(soft, CultureInfo.InvariantCulture, out var limit) ? limit : long.MaxValue;
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
