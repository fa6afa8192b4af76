using System.Runtime.InteropServices;

namespace AspireSse.WebFrontend.Admission;

/// <summary>
/// The process's open-file limit (<c>RLIMIT_NOFILE</c>) and how many files it has open. Every socket
/// is a file, and so is much of what the runtime itself needs, so this limit, not memory, is usually
/// what bounds the streams a replica can hold. .NET has no API for it; this is libc's.
/// </summary>
internal static partial class OpenFiles
{
    // The soft limit is the one the kernel enforces. The .NET runtime raises it to the hard limit at
    // start, so inside the process the two are normally equal.
    public static long? Limit()
    {
        if (Resource() is not { } resource)
        {
            return null;
        }

        return getrlimit(resource, out var limit) == 0 ? (long)Math.Min(limit.Current, long.MaxValue) : null;
    }

    /// <summary>Lowers both the soft and the hard limit; raising is refused by the kernel unless privileged.</summary>
    public static bool TryLower(long files)
    {
        if (Resource() is not { } resource || getrlimit(resource, out var limit) != 0)
        {
            return false;
        }

        var lowered = (ulong)files;
        if (lowered >= limit.Current && lowered >= limit.Maximum)
        {
            return true;
        }

        var wanted = new RLimit { Current = Math.Min(lowered, limit.Current), Maximum = Math.Min(lowered, limit.Maximum) };
        return setrlimit(resource, in wanted) == 0;
    }

    /// <summary>Files open now, where the OS shows them (<c>/proc/self/fd</c> on Linux).</summary>
    public static int? CountOpen()
    {
        const string descriptors = "/proc/self/fd";
        return Directory.Exists(descriptors) ? Directory.EnumerateFileSystemEntries(descriptors).Count() : null;
    }

    private static int? Resource() =>
        OperatingSystem.IsLinux() ? 7 : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 8 : null;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);
}
