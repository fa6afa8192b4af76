using System.Globalization;
using System.Runtime.InteropServices;
using AspireSse.Launcher.Topology;
using AspireSse.TestSupport.Processes;

namespace AspireSse.Launcher;

/// <summary><c>./run.sh [--replicas N] [--port P]</c>: start everything, print where it is, stop it all on Ctrl+C.</summary>
internal static class LauncherCommand
{
    private const string Usage = "usage: run.sh [--replicas N] [--port P]   (defaults: 3 replicas, port 8080)";

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(Usage);
            return error is null ? 0 : 2;
        }

        options.Output = PrintPrefixed;
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        SseTopology topology;
        try
        {
            topology = await SseTopology.StartAsync(options, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("stopped before the system was ready");
            return 130;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"error: could not start the system: {ex.Message}");
            return 1;
        }

        await using (topology)
        {
            topology.ChildExited += (process, code) =>
                Console.WriteLine($"warning: {process.Name} exited unexpectedly with code {code}");

            Console.WriteLine();
            Console.WriteLine(topology.DescribeResources());
            Console.WriteLine();
            Console.WriteLine($"ready: {topology.GatewayUrl.ToString().TrimEnd('/')}");

            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Console.WriteLine("stopping…");
        }

        Console.WriteLine("stopped");
        return 0;

        void Stop(PosixSignalContext context)
        {
            // Shut down in order (and leave no child behind) instead of dying on the spot.
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static void PrintPrefixed(string resource, string line) =>
        Console.WriteLine($"{resource,-14}| {line}");

    private static bool TryParse(string[] args, out TopologyOptions options, out string? error)
    {
        options = new TopologyOptions { GatewayPort = 8080 };
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--replicas" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64:
                    options.Replicas = n;
                    i++;
                    break;
                case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535:
                    options.GatewayPort = p;
                    i++;
                    break;
                case "--help" or "-h":
                    return false;
                case "--replicas":
                    error = "error: --replicas takes a whole number from 1 to 64";
                    return false;
                case "--port":
                    error = "error: --port takes a port number from 0 to 65535 (0 picks a free port)";
                    return false;
                default:
                    error = $"error: unknown argument '{args[i]}'";
                    return false;
            }
        }

        return true;
    }
}
