using System.Runtime.InteropServices;

namespace AspireSse.TestSupport.Processes;

public static partial class PosixSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>
    /// Sends a signal to a process. .NET can only SIGKILL (<see cref="System.Diagnostics.Process.Kill()"/>);
    /// a graceful stop needs SIGTERM, which ASP.NET Core turns into an orderly shutdown.
    /// </summary>
    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
