using System.Diagnostics;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.AppHost.Tests;

/// <summary>
/// <c>./run.sh</c> as a user runs it, in a process group of its own, with a marker in its environment
/// that every process it starts inherits, so the test can tell the run's processes from anyone else's.
/// </summary>
internal sealed class RunScript : IAsyncDisposable
{
    private const string MarkerVariable = "ASPIRESSE_TEST_RUN";
    private readonly Process _process;
    private readonly string _marker = Guid.NewGuid().ToString("N");
    private readonly List<string> _lines = [];

    private RunScript(Process process) => _process = process;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public static RunScript Start(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("/usr/bin/setsid")
        {
            WorkingDirectory = ServiceBinaries.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["bash", "./run.sh", .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        var run = new RunScript(new Process { StartInfo = startInfo });
        startInfo.Environment[MarkerVariable] = run._marker;
        run._process.OutputDataReceived += (_, e) => run.OnLine(e.Data);
        run._process.ErrorDataReceived += (_, e) => run.OnLine(e.Data);
        run._process.Start();
        run._process.BeginOutputReadLine();
        run._process.BeginErrorReadLine();
        return run;
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }

    public Task<string> WaitForLineAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.WaitAsync(
            () => Task.FromResult(_process.HasExited
                ? throw new InvalidOperationException($"run.sh exited ({_process.ExitCode}):{Environment.NewLine}{string.Join(Environment.NewLine, Lines)}")
                : Lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))),
            line => line is not null, timeout, $"run.sh to print '{prefix}…'", cancellationToken)!;

    /// <summary>
    /// Every process the run started that is still alive: those that inherited its marker, and
    /// redis-server, which overwrites its environment with its title but works in the AppHost's data directory.
    /// </summary>
    public IReadOnlyList<(int Pid, string Command)> Processes()
    {
        var redisData = Path.Combine(ServiceBinaries.RepositoryRoot, "AppHost", ".aspiresse", "redis");
        List<(int, string)> found = [];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), System.Globalization.CultureInfo.InvariantCulture, out var pid) || pid == _process.Id)
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllText(Path.Combine(directory, "environ")).Split('\0');
                var cwd = new DirectoryInfo(Path.Combine(directory, "cwd")).LinkTarget;
                if (environment.Contains($"{MarkerVariable}={_marker}") || cwd == redisData)
                {
                    found.Add((pid, File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim()));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }

        return found;
    }

    /// <summary>Sends SIGTERM, as a service manager or <c>kill</c> would, and waits for the exit code.</summary>
    public Task<int> StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        PosixSignals.Send(_process.Id, PosixSignals.SigTerm);
        return WaitForExitAsync(timeout, cancellationToken);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            PosixSignals.Send(_process.Id, PosixSignals.SigTerm);
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        // Whatever the script left behind must not outlive the test.
        foreach (var (pid, _) in Processes())
        {
            PosixSignals.Send(pid, PosixSignals.SigKill);
        }

        _process.Dispose();
    }
}
