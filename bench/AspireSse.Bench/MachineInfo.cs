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

    /// <summary>
    /// The share of all cores' time spent running anything (user, nice, system, interrupts) over
    /// <paramref name="sample"/>, from /proc/stat: before a run, what others are already using. The load
    /// average says the same but trails by minutes (a build just before reads as busy long after).
    /// </summary>
    public static async Task<double> BusyFractionAsync(TimeSpan sample, CancellationToken cancellationToken)
    {
        var from = CpuTimes();
        await Task.Delay(sample, cancellationToken);
        return BusyFraction(from, CpuTimes());
    }

    /// <summary>The share of all cores' time spent running anything between two <see cref="CpuTimes"/> readings.</summary>
    public static double BusyFraction((long Busy, long Total) from, (long Busy, long Total) to) =>
        to.Total == from.Total ? 0 : (double)(to.Busy - from.Busy) / (to.Total - from.Total);

    /// <summary>All cores' busy and total time so far, in the kernel's clock ticks.</summary>
    public static (long Busy, long Total) CpuTimes()
    {
        // cpu  user nice system idle iowait irq softirq steal …
        var fields = (ReadLines("/proc/stat").FirstOrDefault() ?? "cpu 0 0 0 0").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
        return (total - idle, total);
    }

    /// <summary>The commit the benchmark was built from, <c>+changes</c> when the work tree differs from it.</summary>
    public static string Commit(string directory)
    {
        var head = Git(directory, "rev-parse --short=12 HEAD");
        if (head is null)
        {
            return "unknown (not a git checkout)";
        }

        return Git(directory, "status --porcelain --untracked-files=no") is { Length: > 0 } ? head + "+changes" : head;
    }

    private static string? Git(string directory, string arguments)
    {
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var git = System.Diagnostics.Process.Start(start);
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The soft limit on open files: each client needs one.</summary>
    public static long OpenFileLimit()
    {
        var line = ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.TryParse(soft, CultureInfo.InvariantCulture, out var limit) ? limit : long.MaxValue;
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
