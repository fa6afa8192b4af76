using System.Text.Json;
using AspireSse.Bench.LoadGen;
using AspireSse.Bench.Measurement;
using AspireSse.Bench.Report;
using AspireSse.Bench.Systems;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Bench;

/// <summary>
/// Runs every system at every client count, one after another (the order reversed every other
/// round), then writes the table, the ratios and the figures.
/// </summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (!BenchOptions.TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error ?? "");
            await Console.Error.WriteLineAsync(BenchOptions.Usage);
            return error is null ? 0 : 2;
        }

        if (options.Replot is { } replot)
        {
            return Replot(replot);
        }

        // Clients are spread over processes (load generators, replicas, nginx workers), each holding at
        // most this many, so one process's open-file limit is what matters, whatever the total.
        var needed = Math.Min(options.Clients.Max(), LoadFleet.ClientsPerProcess) + 1_000;
        if (MachineInfo.OpenFileLimit() < needed)
        {
            await Console.Error.WriteLineAsync(
                $"error: each process here needs about {needed} open files; the limit is {MachineInfo.OpenFileLimit()}. Raise it (ulimit -n {needed}) or use fewer clients.");
            return 2;
        }

        var systems = options.Systems.ToList();
        if (systems.Any(NchanSystem.Variants.Contains) && NchanSystem.Unavailable() is { } missing)
        {
            Console.WriteLine($"skipping nchan: {missing}");
            systems.RemoveAll(NchanSystem.Variants.Contains);
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Stop after tearing down what runs, instead of leaving servers behind.
            e.Cancel = true;
            stop.Cancel();
        };

        var busy = await WaitForQuietAsync(options.AllowBusy, stop.Token);
        if (busy is null)
        {
            return 3;
        }

        var started = DateTimeOffset.UtcNow;
        var settingsNote = options.FrontendEnvironment.Count == 0 ? null
            : "WebFrontend environment: " + string.Join(", ", options.FrontendEnvironment.Select(e => $"{e.Key}={e.Value}"));
        var busyNote = busy > BusyThreshold ? Invariant($"busy machine: other processes used {busy:P0} of the CPU at the start (--allow-busy)") : null;
        var note = string.Join(" · ", new[] { options.Note, settingsNote, busyNote }.OfType<string>());
        var run = new RunDescription(started, options.Mode, options.TicksPerSecond, options.Window,
            options.Rounds, MachineInfo.Describe(), MachineInfo.LoadAverage(), note.Length == 0 ? null : note,
            Invariant($"{busy:P0}"), MachineInfo.Commit(BuildMetadata.ResultsDirectory));
        var settings = new RunSettings
        {
            TicksPerSecond = options.TicksPerSecond,
            Window = options.Window,
            Warmup = options.Warmup,
            SettleLimit = options.Quick ? TimeSpan.FromSeconds(8) : TimeSpan.FromSeconds(15),
            // A quick run must stay quick; a backlog that takes longer than this is itself the finding.
            CatchUpLimit = options.Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(2),
        };
        OutputSink output = options.Verbose ? (name, line) => Console.WriteLine($"  {name,-14}| {line}") : static (_, _) => { };

        var results = new List<RunResult>();
        try
        {
            foreach (var clients in options.Clients)
            {
                for (var round = 1; round <= options.Rounds; round++)
                {
                    var order = round % 2 == 1 ? systems : Enumerable.Reverse(systems).ToList();
                    foreach (var name in order)
                    {
                        results.Add(await RunOneAsync(name, clients, round, settings, options.FrontendEnvironment, output, stop.Token));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("interrupted: reporting what finished");
        }

        var storms = new List<StormResult>();
        if (options.StormClients > 0 && options.Systems.Contains("aspiresse") && !stop.IsCancellationRequested)
        {
            foreach (var kind in new[] { StormKind.Kill, StormKind.Terminate })
            {
                try
                {
                    storms.Add(await StormRun.RunAsync(kind, options.StormClients, options.StormReplicas,
                        settings with { TicksPerSecond = options.StormTicksPerSecond }, output, Log, stop.Token));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Interrupted: what finished before is still reported.
                    Console.WriteLine("interrupted: reporting what finished");
                    break;
                }
                catch (Exception ex)
                {
                    Log($"storm ({kind}) failed: {ex.Message}");
                }
            }
        }

        var rows = SummaryRow.From(results);
        var directory = options.OutputDirectory
            ?? (options.Mode == "full" ? BuildMetadata.ResultsDirectory : Path.Combine(BuildMetadata.ResultsDirectory, "raw", options.Mode));
        Directory.CreateDirectory(directory);
        var figures = (rows.Count == 0 ? [] : Figures.Write(rows, run.FigureSubtitle, directory))
            .Concat(storms.Select(s => StormChart.Save(s, (run with { TicksPerSecond = s.TicksPerSecond }).FigureSubtitle, directory))).ToList();
        var markdown = MarkdownReport.Render(run, rows, figures, storms);
        await File.WriteAllTextAsync(Path.Combine(directory, "benchmark.md"), markdown);
        var raw = Path.Combine(BuildMetadata.ResultsDirectory, "raw", $"{started:yyyyMMdd-HHmmss}-{run.Mode}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(raw)!);
        await File.WriteAllTextAsync(raw, JsonSerializer.Serialize(new { results, storms }, RawJson));

        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"written: {Path.Combine(directory, "benchmark.md")} and {figures.Count} figure(s); raw results: {raw}");
        var stormsFailed = options.StormClients > 0 && options.Systems.Contains("aspiresse") && storms.Count(s => s.Error is null) < 2;
        return results.Count > 0 && results.All(r => r.Error is null || r.NotRun) && !stormsFailed ? 0 : 1;
    }

    /// <summary>Above this share of CPU in use by others, figures would measure them as much as the systems.</summary>
    private const double BusyThreshold = 0.25;

    /// <summary>
    /// The share of CPU others use, once it is below <see cref="BusyThreshold"/> (waiting up to a
    /// minute); null, after saying why, when it stays above and a busy run was not allowed.
    /// </summary>
    private static async Task<double?> WaitForQuietAsync(bool allowBusy, CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var busy = await MachineInfo.BusyFractionAsync(TimeSpan.FromSeconds(3), cancellationToken);
            if (busy <= BusyThreshold || allowBusy)
            {
                return busy;
            }

            if (waited.Elapsed > TimeSpan.FromMinutes(1))
            {
                await Console.Error.WriteLineAsync(Invariant(
                    $"error: other processes use {busy:P0} of the CPU (load average {MachineInfo.LoadAverage()}); figures taken now would measure them too. Wait for them, or run with --allow-busy (the report says so)."));
                return null;
            }

            Log(Invariant($"the machine is busy ({busy:P0} of the CPU in use); waiting for it to quieten"));
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Draws a results directory's figures again from its report, to restyle them without a run.</summary>
    private static int Replot(string directory)
    {
        var report = Path.Combine(directory, "benchmark.md");
        if (!File.Exists(report))
        {
            Console.Error.WriteLine($"error: no report to replot: {report}");
            return 2;
        }

        var (run, rows) = MarkdownReportReader.Read(report);
        var figures = Figures.Write(rows, run.FigureSubtitle, directory);
        Console.WriteLine($"redrawn: {figures.Count} figure(s) in {directory} from its benchmark.md");
        return 0;
    }

    private static readonly JsonSerializerOptions RawJson = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static async Task<RunResult> RunOneAsync(string name, int clients, int round, RunSettings settings,
        IReadOnlyDictionary<string, string?> frontendEnvironment, OutputSink output, CancellationToken cancellationToken)
    {
        SystemUnderTest system = name switch
        {
            "aspiresse" => new RelaySystem(output, frontendEnvironment),
            _ when NchanSystem.Variants.Contains(name) => new NchanSystem(name, output),
            "floor" => new FloorSystem(output),
            _ => new SignalRSystem(output),
        };

        if (system is SignalRSystem && SignalRSystem.CannotHold(clients) is { } reason)
        {
            await system.DisposeAsync();
            Log($"{name}: {reason}");
            return RunResult.Failed(name, clients, round, settings, reason) with { NotRun = true };
        }

        try
        {
            return await BenchmarkRun.RunAsync(system, clients, round, settings, Log, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log($"{name}: failed at {clients} clients: {ex.Message}");
            return RunResult.Failed(name, clients, round, settings, ex.Message);
        }
    }

    private static void Log(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
