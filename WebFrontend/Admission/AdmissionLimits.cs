using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Admission;

/// <summary>
/// The caps this replica runs with, set once at start from its real limits: connections open at
/// once, and streams it serves. Both ways a stream opens, and the readiness check, read
/// them here.
/// </summary>
public sealed partial class AdmissionLimits
{
    private AdmissionLimits(int? maxConnections, int maxStreams)
    {
        MaxConnections = maxConnections;
        MaxStreams = maxStreams;
    }

    /// <summary>Connections open at once (<see cref="AdmissionListenerFactory"/>); null where the OS shows no open-file limit.</summary>
    public int? MaxConnections { get; }

    public int MaxStreams { get; }

    public bool IsFull(int streams) => streams >= MaxStreams;

    /// <summary>
    /// A jittered <c>Retry-After</c>, in whole seconds as the header has it: clients turned away at
    /// the same moment come back spread over a few seconds instead of together.
    /// </summary>
    public static int RetryAfterSeconds() => Random.Shared.Next(1, 6);

    public static AdmissionLimits Derive(IOptions<AdmissionOptions> options, ILogger<AdmissionLimits> logger)
    {
        var settings = options.Value;
        if (settings.OpenFileLimit is { } lowerTo && !OpenFiles.TryLower(lowerTo))
        {
            LogCannotLower(logger, lowerTo);
        }

        int? maxConnections = null;
        var byFiles = int.MaxValue;
        if (OpenFiles.Limit() is { } limit && limit < int.MaxValue)
        {
            // Connections waiting in the kernel's accept queue hold no file of the process's.
            var open = OpenFiles.CountOpen() ?? 0;
            var reserved = open + settings.ReservedFiles;
            if (limit - reserved <= settings.ProbeConnections)
            {
                throw new InvalidOperationException(
                    $"The open-file limit of {limit} leaves no room for streams: {open} files are open already, " +
                    $"{settings.ReservedFiles} are kept in reserve (Admission:ReservedFiles) and {settings.ProbeConnections} " +
                    "connections for probes (Admission:ProbeConnections). Raise the limit (ulimit -n) or lower those settings.");
            }

            maxConnections = (int)(limit - reserved);
            byFiles = maxConnections.Value - settings.ProbeConnections;
            LogFileLimit(logger, limit, open, settings.ReservedFiles, maxConnections.Value);
        }

        // What the GC may use: the container's memory limit where there is one, else the machine's.
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var byMemory = (int)Math.Min(int.MaxValue, memory / 2 / settings.MemoryPerStreamBytes);
        var derived = Math.Min(byFiles, byMemory);

        var maxStreams = derived;
        if (settings.MaxStreams is { } configured)
        {
            if (configured > derived)
            {
                // Lowered rather than refused: a replica that will not start is an outage, one that
                // serves what it can hold is not, and the warning says what to change.
                LogLowered(logger, configured, derived, byFiles <= byMemory ? "the open-file limit" : "the memory available");
            }
            else
            {
                maxStreams = configured;
            }
        }

        LogCaps(logger, maxStreams, byFiles == int.MaxValue ? "none" : byFiles.ToString(System.Globalization.CultureInfo.InvariantCulture),
            byMemory, memory / (1024 * 1024));
        return new AdmissionLimits(maxConnections, maxStreams);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission:OpenFileLimit={Files} could not be applied; the limit stays as the host set it")]
    private static partial void LogCannotLower(ILogger logger, int files);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Open-file limit {Limit}: {Open} files open at start and {Reserved} kept in reserve, so at most {MaxConnections} connections are open at once")]
    private static partial void LogFileLimit(ILogger logger, long limit, int open, int reserved, int maxConnections);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Admission:MaxStreams={Configured} is more than this replica can hold; lowered to {Derived}, the most {Bound} allows")]
    private static partial void LogLowered(ILogger logger, int configured, int derived, string bound);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Serving at most {MaxStreams} streams (open files allow {ByFiles}, {MemoryMegabytes} MB of memory allows {ByMemory}); beyond that, 503 with Retry-After")]
    private static partial void LogCaps(ILogger logger, int maxStreams, string byFiles, int byMemory, long memoryMegabytes);
}
