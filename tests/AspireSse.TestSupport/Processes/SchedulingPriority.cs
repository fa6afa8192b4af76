using System.Runtime.InteropServices;

namespace AspireSse.TestSupport.Processes;

public static partial class SchedulingPriority
{
    private const int PriorityOfProcess = 0;

    /// <summary>
    /// Sets the nice value of every thread the process has now. Linux keeps one per thread, and a
    /// thread starts with its creator's, so threads the process creates afterwards have it too.
    /// Raising it (yielding to others) needs no privilege.
    /// </summary>
    /// <returns>The threads it was set on.</returns>
    public static int SetNice(int pid, int nice)
    {
        var set = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (int.TryParse(Path.GetFileName(task), out var tid) && setpriority(PriorityOfProcess, tid, nice) == 0)
                {
                    set++;
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The process has ended.
        }

        return set;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);
}
