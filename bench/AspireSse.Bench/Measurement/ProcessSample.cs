using System.Globalization;

namespace AspireSse.Bench.Measurement;

/// <summary>CPU time and memory of a set of processes (the server under test), summed, from /proc.</summary>
/// <param name="Cpu">User plus system time since each process started.</param>
/// <param name="RssBytes">Resident set size (VmRSS).</param>
/// <param name="PssBytes">Proportional set size: shared pages split among the processes sharing them.</param>
public readonly record struct ProcessSample(TimeSpan Cpu, long RssBytes, long PssBytes)
{
    // USER_HZ: the unit of the times in /proc/<pid>/stat, fixed at 100 by the kernel's ABI.
    private const long ClockTicksPerSecond = 100;

    public static ProcessSample Read(IEnumerable<int> pids)
    {
        long ticks = 0, rss = 0, pss = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = StatFields(pid);
                ticks += long.Parse(stat[11], CultureInfo.InvariantCulture) + long.Parse(stat[12], CultureInfo.InvariantCulture);
                rss += KilobytesField($"/proc/{pid}/status", "VmRSS:") * 1024;
                pss += KilobytesField($"/proc/{pid}/smaps_rollup", "Pss:") * 1024;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended between listing and reading: it no longer counts.
            }
        }

        return new ProcessSample(TimeSpan.FromSeconds((double)ticks / ClockTicksPerSecond), rss, pss);
    }

    /// <summary>
    /// The kernel's own memory (/proc/meminfo <c>Slab</c>): socket structures and TCP state live there,
    /// outside any process's RSS. Machine-wide, so it counts both ends of every loopback connection.
    /// </summary>
    public static long KernelSlabBytes() => KilobytesField("/proc/meminfo", "Slab:") * 1024;

    /// <summary>The process and its direct children (nginx's master and its workers).</summary>
    public static IReadOnlyList<int> WithChildren(int pid)
    {
        List<int> pids = [pid];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var candidate) && candidate != pid)
            {
                try
                {
                    if (StatFields(candidate)[1] == pid.ToString(CultureInfo.InvariantCulture))
                    {
                        pids.Add(candidate);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Gone already.
                }
            }
        }

        return pids;
    }

    /// <summary>The fields after the command name: [0] state, [1] ppid, … [11] utime, [12] stime.</summary>
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name is in parentheses and may itself contain spaces or parentheses.
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static long KilobytesField(string path, string name)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(name.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
