using System.Diagnostics;
using AspireSse.TestSupport.Processes;

namespace AspireSse.EndToEnd.Tests;

/// <summary>Runs the launcher's build output as its own process and collects what it prints.</summary>
internal sealed class LauncherRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LauncherRun(Process process) => _process = process;

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

    public static Task<LauncherRun> StartAsync(string[] arguments, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var launcherDll = ServiceBinaries.Launcher;
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(launcherDll);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var run = new LauncherRun(new Process { StartInfo = startInfo });
        run._process.OutputDataReceived += (_, e) => run.OnLine(e.Data);
        run._process.ErrorDataReceived += (_, e) => run.OnLine(e.Data);
        run._process.Start();
        run._process.BeginOutputReadLine();
        run._process.BeginErrorReadLine();
        return Task.FromResult(run);
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                if (_lines.FirstOrDefault(match) is { } line)
                {
                    return line;
                }

                changed = _changed.Task;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The launcher exited ({_process.ExitCode}):{Environment.NewLine}{string.Join(Environment.NewLine, Lines.TakeLast(40))}");
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), deadline.Token);
            }
            catch (TimeoutException)
            {
                // Re-check whether the process exited.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The launcher did not print the expected line within {timeout.TotalSeconds:F0} s. Last lines:{Environment.NewLine}{string.Join(Environment.NewLine, Lines.TakeLast(40))}");
            }
        }
    }

    /// <summary>Sends SIGTERM, as a service manager or <c>kill</c> would, and waits for the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        PosixSignals.Send(_process.Id, PosixSignals.SigTerm);
        return await WaitForExitAsync(timeout, cancellationToken);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        // The async output readers may still be draining after exit.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource previous;
        lock (_lines)
        {
            _lines.Add(line);
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            PosixSignals.Send(_process.Id, PosixSignals.SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
