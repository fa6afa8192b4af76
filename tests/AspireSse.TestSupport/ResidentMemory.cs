using System.Globalization;
using AspireSse.TestSupport.Processes;

namespace AspireSse.TestSupport;

/// <summary>A process's resident memory (VmRSS), read from /proc as the benchmark reads it.</summary>
public static class ResidentMemory
{
    public static long Kilobytes(ServiceProcess process) =>
        Kilobytes(process.Pid ?? throw new InvalidOperationException($"{process.Name} is not running."));

    public static long Kilobytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS once it moved less than 1 % over 2 s (as the benchmark reads idle memory), or after 30 s.</summary>
    public static async Task<long> SettledKilobytesAsync(ServiceProcess process, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var previous = Kilobytes(process);
        while (true)
        {
            // A measurement interval, not a wait for readiness: what settles is the replica taking in
            // what its clients sent, or writing what they will not read.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var now = Kilobytes(process);
            if (Math.Abs(now - previous) < previous / 100 || DateTime.UtcNow > deadline)
            {
                return now;
            }

            previous = now;
        }
    }
}
