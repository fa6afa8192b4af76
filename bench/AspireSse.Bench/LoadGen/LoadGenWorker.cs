using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// One load-generator process (<c>AspireSse.Bench loadgen …</c>), driven by <see cref="LoadFleet"/>
/// over its standard input and output: a command per line in, a JSON reply per line out.
/// </summary>
/// <remarks>
/// Commands: <c>connect COUNT PARALLELISM TIMEOUT_S</c>, <c>latency on|off</c>, <c>window FROM_MS TO_MS</c>
/// (Unix milliseconds), <c>window-counts</c>, <c>timeline FROM_MS EVERY_MS</c>, <c>timeline-stop</c>, <c>counts</c>, <c>status FINAL</c>,
/// <c>report FINAL</c>, <c>quit</c>. Several processes because each is held to the machine's
/// open-file limit (20 000 here, a hard limit), and each client is an open socket.
/// </remarks>
public static class LoadGenWorker
{
    public const string Command = "loadgen";

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var target, out var source, out var error))
        {
            await Console.Error.WriteLineAsync($"error: {error}; usage: {Command} --url URL [--protocol sse|signalr] [--tick-event NAME] [--source IP] [--reconnect]");
            return 2;
        }

        await using var load = new LoadGenerator(target, source);
        var stdout = Console.Out;
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is ["quit"])
            {
                break;
            }

            WorkerReply reply;
            try
            {
                reply = await HandleAsync(load, words);
            }
            catch (Exception ex)
            {
                reply = new WorkerReply(false, ex.Message);
            }

            await stdout.WriteLineAsync(JsonSerializer.Serialize(reply, WorkerJsonContext.Default.WorkerReply));
            await stdout.FlushAsync();
        }

        return 0;
    }

    private static async Task<WorkerReply> HandleAsync(LoadGenerator load, string[] words)
    {
        switch (words)
        {
            case ["connect", var count, var parallelism, var timeout]:
                await load.ConnectAsync(Int(count), Int(parallelism), TimeSpan.FromSeconds(Int(timeout)), CancellationToken.None);
                return new WorkerReply(true);
            case ["latency", var state and ("on" or "off")]:
                load.Latency.Enabled = load.UnmovedLatency.Enabled = state == "on";
                return new WorkerReply(true);
            case ["window", var from, var to]:
                load.ScheduleWindow(DateTimeOffset.FromUnixTimeMilliseconds(Long(from)), DateTimeOffset.FromUnixTimeMilliseconds(Long(to)));
                return new WorkerReply(true);
            case ["window-counts"]:
                return new WorkerReply(true, Window: await load.WindowAsync());
            case ["timeline", var from, var everyMs]:
                load.StartTimeline(DateTimeOffset.FromUnixTimeMilliseconds(Long(from)), TimeSpan.FromMilliseconds(Long(everyMs)));
                return new WorkerReply(true);
            case ["timeline-stop"]:
                return new WorkerReply(true, Timeline: await load.StopTimelineAsync());
            case ["counts"]:
                return new WorkerReply(true, Counts: load.Tally.Now);
            case ["status", var final]:
                return new WorkerReply(true, Status: load.Status(Long(final)));
            case ["report", var final]:
                var (counts, max) = load.Latency.Snapshot();
                var (unmovedCounts, unmovedMax) = load.UnmovedLatency.Snapshot();
                return new WorkerReply(true, Report: new WorkerReport(load.Report(Long(final)), counts, max, unmovedCounts, unmovedMax));
            default:
                return new WorkerReply(false, $"unknown command '{string.Join(' ', words)}'");
        }
    }

    private static bool TryParse(string[] args, out LoadTarget target, out IPAddress? source, out string? error)
    {
        target = null!;
        source = null;
        error = null;
        Uri? url = null;
        var protocol = ClientProtocol.ServerSentEvents;
        var tickEvent = "tick";
        var reconnect = false;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--url" when Uri.TryCreate(value, UriKind.Absolute, out var parsed):
                    url = parsed;
                    i++;
                    break;
                case "--protocol" when value is "sse" or "signalr":
                    protocol = value == "sse" ? ClientProtocol.ServerSentEvents : ClientProtocol.SignalR;
                    i++;
                    break;
                case "--tick-event" when !string.IsNullOrEmpty(value):
                    tickEvent = value;
                    i++;
                    break;
                case "--source" when IPAddress.TryParse(value, out var address):
                    source = address;
                    i++;
                    break;
                case "--reconnect":
                    reconnect = true;
                    break;
                default:
                    error = $"bad argument '{args[i]}'";
                    return false;
            }
        }

        if (url is null)
        {
            error = "--url is required";
            return false;
        }

        target = new LoadTarget(protocol, url, tickEvent, reconnect);
        return true;
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}
