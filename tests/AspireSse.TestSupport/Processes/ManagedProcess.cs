using System.Diagnostics;

namespace AspireSse.TestSupport.Processes;

/// <summary>Receives every line a child prints, tagged with the child's name.</summary>
public delegate void OutputSink(string resource, string line);

/// <summary>
/// A child process the topology owns: started, watched, restarted with the same settings, and
/// always stopped — gracefully with SIGTERM first, then SIGKILL — so nothing outlives the topology.
/// </summary>
public class ManagedProcess : IAsyncDisposable
{
    private const int RecentLineCount = 200;
    private readonly ProcessStartInfo _startInfo;
    private readonly OutputSink _output;
    private readonly Queue<string> _recent = new();
    private Process? _process;
    private bool _stopping;

    public ManagedProcess(string name, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?> environment, OutputSink output, string? workingDirectory = null)
    {
        Name = name;
        _output = output;
        _startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            _startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            _startInfo.Environment[key] = value;
        }
    }

    public string Name { get; }

    /// <summary>The running process's id, or null when it is not running.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Raised when the process ends without having been asked to (crash or external kill).</summary>
    public event Action<ManagedProcess, int>? ExitedUnexpectedly;

    /// <summary>The last lines it printed, for error messages about a child that failed.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recent)
            {
                return string.Join(Environment.NewLine, _recent);
            }
        }
    }

    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        _stopping = false;
        var process = new Process { StartInfo = _startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) =>
        {
            if (!_stopping)
            {
                ExitedUnexpectedly?.Invoke(this, SafeExitCode(process));
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Asks the process to stop (SIGTERM) and kills it if it has not within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process is not { } process)
        {
            return;
        }

        _stopping = true;
        if (!process.HasExited)
        {
            PosixSignals.Send(process.Id, PosixSignals.SigTerm);
            // A frozen process would hold SIGTERM until it runs again.
            PosixSignals.Send(process.Id, PosixSignals.SigCont);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _stopping = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
    }

    /// <summary>
    /// Suspends the process (SIGSTOP) until the returned scope is disposed (SIGCONT). Its sockets stay
    /// open but it reads and writes nothing, as in a long pause of the VM it runs on: what the other
    /// side does meanwhile (closing a connection, publishing) is only noticed when it runs again.
    /// </summary>
    public IDisposable Freeze()
    {
        if (_process is not { HasExited: false } process)
        {
            throw new InvalidOperationException($"{Name} is not running.");
        }

        PosixSignals.Send(process.Id, PosixSignals.SigStop);
        return new Thaw(process.Id);
    }

    private sealed class Thaw(int pid) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                PosixSignals.Send(pid, PosixSignals.SigCont);
            }
        }
    }

    /// <summary>Waits for the process to exit; for a process that was asked to stop some other way.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) =>
        _process?.WaitForExitAsync(cancellationToken) ?? Task.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process?.Dispose();
        GC.SuppressFinalize(this);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_recent)
        {
            if (_recent.Count == RecentLineCount)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(line);
        }

        _output(Name, line);
    }

    private static int SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }
}
