using System.Diagnostics.Metrics;
using AspireSse.Contracts;

namespace AspireSse.WebFrontend.Relay;

/// <summary>The relay's instruments (names and meanings in <see cref="SseMetrics"/>).</summary>
public sealed class RelayMetrics
{
    private static readonly KeyValuePair<string, object?> Live = new(SseMetrics.RelaySourceTag, "live");
    private static readonly KeyValuePair<string, object?> Backfill = new(SseMetrics.RelaySourceTag, "backfill");
    private static readonly KeyValuePair<string, object?> FromWindow = new(SseMetrics.ReplaySourceTag, ReplaySource.Window);
    private static readonly KeyValuePair<string, object?> FromHistory = new(SseMetrics.ReplaySourceTag, ReplaySource.History);

    private readonly Counter<long> _relayed;
    private readonly UpDownCounter<long> _clients;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _cut;
    private readonly Counter<long> _replayed;
    private readonly Counter<long> _replays;
    private readonly Histogram<int> _eventsPerWrite;
    private readonly Counter<long> _opened;
    private long _openedBelowHttp;
    private long _openedOnSocket;
    private long _openedOnPipe;
    private long _writes;
    private long _eventsWritten;
    private long _replaysFromWindow;
    private long _replaysFromHistory;

    public RelayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(SseTelemetry.MeterName);
        _relayed = meter.CreateCounter<long>(SseMetrics.TicksRelayed, "{tick}", "Ticks this replica fanned out to its clients");
        _clients = meter.CreateUpDownCounter<long>(SseMetrics.ConnectedClients, "{client}", "SSE clients connected to this replica");
        _latency = meter.CreateHistogram(SseMetrics.DeliveryLatency, "ms", "Time from a tick's publish to its write to a client",
            advice: new InstrumentAdvice<double>
            {
                // Ticks normally arrive in a few ms; the upper buckets catch stalls and backfills.
                HistogramBucketBoundaries = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
            });
        _cut = meter.CreateCounter<long>(SseMetrics.SlowClientsCut, "{client}", "Clients disconnected because their queue was full");
        _replayed = meter.CreateCounter<long>(SseMetrics.EventsReplayed, "{tick}", "Ticks replayed to resuming clients");
        _replays = meter.CreateCounter<long>(SseMetrics.Replays, "{replay}", "Resumes replayed, by where the missed ticks came from");
        _eventsPerWrite = meter.CreateHistogram(SseMetrics.EventsPerWrite, "{event}", "Live events sent to a client in one write",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        _opened = meter.CreateCounter<long>(SseMetrics.StreamsOpened, "{stream}", "Streams opened, by how they are written");
    }

    /// <summary>Streams opened since the process started, by <see cref="TickStreamPath"/>.</summary>
    public StreamsOpenedCount Opened => new(
        Interlocked.Read(ref _openedBelowHttp), Interlocked.Read(ref _openedOnSocket), Interlocked.Read(ref _openedOnPipe));

    public void StreamOpened(string path)
    {
        _opened.Add(1, new KeyValuePair<string, object?>(SseMetrics.StreamPathTag, path));
        if (path == TickStreamPath.Connection)
        {
            Interlocked.Increment(ref _openedBelowHttp);
        }
        else if (path == TickStreamPath.Socket)
        {
            Interlocked.Increment(ref _openedOnSocket);
        }
        else
        {
            Interlocked.Increment(ref _openedOnPipe);
        }
    }

    public void TickRelayed(bool backfilled) => _relayed.Add(1, backfilled ? Backfill : Live);

    public void ClientConnected() => _clients.Add(1);

    public void ClientsDisconnected(int count) => _clients.Add(-count);

    public void SlowClientsCut(int count) => _cut.Add(count);

    public void Replayed(int count)
    {
        if (count > 0)
        {
            _replayed.Add(count);
        }
    }

    /// <summary>Resumes replayed since the process started, by where from (see <see cref="ReplaySource"/>).</summary>
    public ReplaysCount Replays => new(Interlocked.Read(ref _replaysFromWindow), Interlocked.Read(ref _replaysFromHistory));

    /// <summary>One resume replayed, from the window alone or (<paramref name="fromHistory"/>) with reads of the history stream.</summary>
    public void ReplayServed(bool fromHistory)
    {
        _replays.Add(1, fromHistory ? FromHistory : FromWindow);
        Interlocked.Increment(ref fromHistory ? ref _replaysFromHistory : ref _replaysFromWindow);
    }

    /// <summary>Writes of live events to clients since the process started (also exported as a histogram).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Live events those writes carried.</summary>
    public long EventsWritten => Interlocked.Read(ref _eventsWritten);

    public void Written(int events)
    {
        _eventsPerWrite.Record(events);
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _eventsWritten, events);
    }

    public void Delivered(DateTimeOffset publishedAt, DateTimeOffset writtenAt) =>
        _latency.Record((writtenAt - publishedAt).TotalMilliseconds);
}

/// <summary>Resumes replayed from this replica's recent ticks alone, and those that read the history stream in Redis.</summary>
public sealed record ReplaysCount(long Window, long History);

/// <summary>Streams opened on each path: below HTTP, on the socket from the HTTP pipeline, through Kestrel's pipe.</summary>
public sealed record StreamsOpenedCount(long Connection, long Socket, long Pipe);
