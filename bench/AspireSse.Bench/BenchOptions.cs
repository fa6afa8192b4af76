using System.Globalization;

namespace AspireSse.Bench;

/// <summary>The command line of <c>./bench.sh</c>.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        usage: bench.sh [--quick] [--clients N,N,…] [--rate TICKS_PER_S] [--window S] [--warmup S] [--rounds R]
                        [--systems aspiresse,nchan,nchan-redis,nchan-more-workers,signalr,floor] [--env KEY=VALUE]…
                        [--storm CLIENTSxREPLICAS | --no-storm] [--out DIR] [--note TEXT] [--allow-busy] [--verbose]
               bench.sh --replot DIR
          --quick    1 000 and 10 000 clients, 10 s windows, one round, no nchan-more-workers (under 10 minutes);
                     results go to bench/results/raw/quick
          default    10 000, 20 000, 50 000, 100 000 clients, 1 tick/s, 30 s windows, one round, then the reconnect
                     storm (100 000 clients over 7 replicas, one SIGKILLed, then one SIGTERMed); results go to bench/results
          --storm    the reconnect storm's size (quick: 10000x5; a custom run has none unless given), at a tick every 4 s;
                     --no-storm leaves it out
          --allow-busy  run even if other processes keep the CPU busy at the start (the report says so); otherwise
                     a busy machine is waited for up to a minute, then refused
          --env      an environment variable for our WebFrontend only (repeatable), to compare settings: --env DOTNET_gcServer=0
          any of --env, --clients, --rate, --window, --warmup, --rounds, --systems makes a custom run (bench/results/raw/custom)
          --replot   runs nothing: draws the figures in DIR again from the table of DIR/benchmark.md
        """;

    public static readonly IReadOnlyList<string> AllSystems = ["aspiresse", "nchan", "nchan-redis", "nchan-more-workers", "signalr", "floor"];

    public bool Quick { get; init; }

    /// <summary>Some of the workload was set by hand: the results are not the standard full or quick run.</summary>
    public bool Custom { get; init; }

    /// <summary>quick, full or custom: names the report and where it goes by default.</summary>
    public string Mode => Custom ? "custom" : Quick ? "quick" : "full";
    public IReadOnlyList<int> Clients { get; init; } = [10_000, 20_000, 50_000, 100_000];
    public double TicksPerSecond { get; init; } = 1;
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    public int Rounds { get; init; } = 1;
    public IReadOnlyList<string> Systems { get; init; } = AllSystems;
    public string? OutputDirectory { get; init; }
    public string? Note { get; init; }

    /// <summary>A results directory whose figures are to be drawn again from its benchmark.md.</summary>
    public string? Replot { get; init; }

    /// <summary>Extra environment for the WebFrontend under test (e.g. GC settings to compare).</summary>
    public IReadOnlyDictionary<string, string?> FrontendEnvironment { get; init; } = new Dictionary<string, string?>();
    public bool Verbose { get; init; }

    /// <summary>The reconnect storm's clients and replicas; 0 clients for none.</summary>
    public int StormClients { get; init; } = 100_000;

    public int StormReplicas { get; init; } = 7;

    /// <summary>
    /// The storm's tick rate. Lower than the runs' 1 tick/s: at that rate 100 000 clients keep both
    /// cores busy before anything is stopped (bench/results/first-100k: ticks arrived a minute late),
    /// and the storm would time that backlog rather than the reconnects.
    /// </summary>
    public double StormTicksPerSecond { get; init; } = 0.25;

    /// <summary>Run on a machine that is already busy, and say so in the report, instead of refusing.</summary>
    public bool AllowBusy { get; init; }

    public static BenchOptions QuickDefaults { get; } = new()
    {
        Quick = true,
        Clients = [1_000, 10_000],
        Window = TimeSpan.FromSeconds(10),
        Warmup = TimeSpan.FromSeconds(2),
        Rounds = 1,
        Systems = AllSystems.Where(s => s != "nchan-more-workers").ToList(),
        StormClients = 10_000,
        StormReplicas = 5,
    };

    public static bool TryParse(string[] args, out BenchOptions options, out string? error)
    {
        options = args.Contains("--quick") ? QuickDefaults : new BenchOptions();
        error = null;
        var stormGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--quick":
                    continue;
                case "--verbose":
                    options = options with { Verbose = true };
                    continue;
                case "--no-storm":
                    options = options with { StormClients = 0 };
                    stormGiven = true;
                    continue;
                case "--allow-busy":
                    options = options with { AllowBusy = true };
                    continue;
                case "--help" or "-h":
                    return false;
                case "--clients" when TryInts(value, out var clients) && clients.All(c => c is >= 2 and <= 200_000):
                    options = options with { Clients = clients, Custom = true };
                    break;
                case "--rate" when TryDouble(value, out var rate) && rate is >= 0.1 and <= 1000:
                    options = options with { TicksPerSecond = rate, Custom = true };
                    break;
                case "--window" when TryDouble(value, out var window) && window is >= 1 and <= 3600:
                    options = options with { Window = TimeSpan.FromSeconds(window), Custom = true };
                    break;
                case "--warmup" when TryDouble(value, out var warmup) && warmup is >= 0 and <= 600:
                    options = options with { Warmup = TimeSpan.FromSeconds(warmup), Custom = true };
                    break;
                case "--rounds" when int.TryParse(value, CultureInfo.InvariantCulture, out var rounds) && rounds is >= 1 and <= 20:
                    options = options with { Rounds = rounds, Custom = true };
                    break;
                case "--systems" when value?.Split(',') is { Length: > 0 } systems && systems.All(AllSystems.Contains):
                    options = options with { Systems = systems, Custom = true };
                    break;
                case "--env" when value?.Split('=', 2) is [{ Length: > 0 } key, var setting]:
                    options = options with
                    {
                        FrontendEnvironment = new Dictionary<string, string?>(options.FrontendEnvironment) { [key] = setting },
                        Custom = true,
                    };
                    break;
                case "--storm" when value?.Split('x') is [var c, var r]
                                    && int.TryParse(c, CultureInfo.InvariantCulture, out var stormClients) && stormClients is >= 10 and <= 200_000
                                    && int.TryParse(r, CultureInfo.InvariantCulture, out var stormReplicas) && stormReplicas is >= 2 and <= 20:
                    options = options with { StormClients = stormClients, StormReplicas = stormReplicas };
                    stormGiven = true;
                    break;
                case "--out" when !string.IsNullOrWhiteSpace(value):
                    options = options with { OutputDirectory = Path.GetFullPath(value) };
                    break;
                case "--replot" when !string.IsNullOrWhiteSpace(value):
                    options = options with { Replot = Path.GetFullPath(value) };
                    break;
                case "--note" when !string.IsNullOrWhiteSpace(value):
                    options = options with { Note = value };
                    break;
                default:
                    error = args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length
                        ? $"error: bad value for {args[i]}: '{value}'"
                        : $"error: unknown or incomplete argument '{args[i]}'";
                    return false;
            }

            i++;
        }

        if (options.Custom && !stormGiven)
        {
            // A custom run measures what was asked for; the storm only when asked too.
            options = options with { StormClients = 0 };
        }

        return true;
    }

    private static bool TryInts(string? text, out int[] values)
    {
        values = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Split(',');
        values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryDouble(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
