using System.Globalization;
using System.Text;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.TestSupport;
using AspireSse.WebFrontend.Relay;
using AspireSse.WebFrontend.Streaming;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// Replays from the history stream to clients that stop reading part-way, in this process against a
/// real redis-server, so what they hold is read from the GC heap itself rather than from RSS, where
/// the garbage a replay leaves behind would count as if held.
/// </summary>
[Collection(nameof(StalledReplayTests))]
public sealed class StalledReplayTests
{
    private const string Epoch = "e1";
    private const int Ticks = 3000;
    private const int Replays = 50;

    // What a client's socket takes before it stops reading: about 80 frames.
    private const int AcceptedBytes = 16 * 1024;

    // One batch of 64 frames waiting for the client is about 13 KB; a page of 500 history entries
    // as Redis returned them is ten times that. Allows for the stream's own objects and for
    // allocations elsewhere in this process while it is measured.
    private const long HeldBytesAllowed = 40 * 1024;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReplayToAClientThatStopsReadingHoldsOneBatchOfFramesAndReadsNoFurtherUntilTheClientReadsAgain()
    {
        await using var harness = await ServiceHarness.StartAsync(cancellationToken: Cancellation);
        var redis = await harness.ConnectRedisAsync();
        await WriteHistoryAsync(redis.GetDatabase());
        var options = Options.Create(new TickStreamOptions { RecentTicks = 0 });
        using var meters = new MeterRecorder();
        var events = new TickEvents(new ReplicaIdentity("replica-under-test"), options);
        var recent = new RecentTicks(options);
        var broadcaster = new TickBroadcaster(events, recent, options, new RelayMetrics(meters.Factory), NullLogger<TickBroadcaster>.Instance);
        broadcaster.Initialize(Epoch, Ticks);
        using var historyReads = new HistoryReadLimit(options);
        var writer = new TickStreamWriter(events, new TickHistory(redis, TimeProvider.System, NullLogger<TickHistory>.Instance), recent, historyReads,
            new RelayMetrics(meters.Factory), TimeProvider.System);
        var readsBefore = await HistoryReadsAsync(harness);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var outputs = Enumerable.Range(0, Replays).Select(_ => new StallingOutput(AcceptedBytes)).ToList();
        var openings = outputs.Select(output => writer.WriteOpeningAsync(broadcaster.Connect(), new TickId(Epoch, 0), output, Cancellation)).ToList();
        await Task.WhenAll(outputs.Select(o => o.Stalled)).WaitAsync(Timeout, Cancellation);

        var heldPerReplay = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / Replays;
        var readsPerReplay = (double)(await HistoryReadsAsync(harness) - readsBefore) / Replays;
        TestReport.Publish(string.Create(CultureInfo.InvariantCulture,
            $"A replay of {Ticks} ticks stalled after {AcceptedBytes / 1024} KB holds {heldPerReplay / 1024.0:F1} KB of heap, " +
            $"{outputs.Average(o => o.Pending):F0} frames waiting, after {readsPerReplay:F1} history reads"));
        Assert.True(heldPerReplay <= HeldBytesAllowed, $"A stalled replay holds {heldPerReplay} bytes.");
        // Reads stop with the client: what it took, in pages of one batch, and the batch it stalled on.
        Assert.InRange(readsPerReplay, 1, Math.Ceiling(outputs.Max(o => o.Received) / 64.0) + 1);

        foreach (var output in outputs)
        {
            output.ReadAgain();
        }

        Assert.All(await Task.WhenAll(openings).WaitAsync(Timeout, Cancellation), Assert.True);
        Assert.All(outputs, output => Assert.Equal((Ticks, (string?)null), (output.LastSequence, output.FirstBreak)));
    }

    private static async Task WriteHistoryAsync(IDatabase db)
    {
        var batch = db.CreateBatch();
        var writes = Enumerable.Range(1, Ticks).Select(sequence => batch.StreamAddAsync(TickRedisKeys.Stream, TickRedisKeys.StreamField,
            JsonSerializer.SerializeToUtf8Bytes(new Tick(Epoch, sequence, DateTimeOffset.UtcNow), TickJsonContext.Default.Tick),
            messageId: $"{sequence}-0")).ToList();
        batch.Execute();
        await Task.WhenAll(writes);
        await db.StringSetAsync([
            new(TickRedisKeys.Epoch, Epoch), new(TickRedisKeys.Counter, Ticks), new(TickRedisKeys.Published, Ticks)]);
    }

    // Every history read is one script call.
    private static async Task<long> HistoryReadsAsync(ServiceHarness harness)
    {
        var server = (await harness.ConnectRedisAsync()).GetServers()[0];
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return Calls("cmdstat_eval") + Calls("cmdstat_evalsha");

        long Calls(string command) =>
            stats.TryGetValue(command, out var value) ? long.Parse(value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>
    /// A client's socket, as the fast path writes to it: frames wait in a list until sent. It takes
    /// <c>acceptedBytes</c>, then stops reading until <see cref="ReadAgain"/>. What it receives is
    /// checked as it arrives, so checking holds nothing.
    /// </summary>
    private sealed class StallingOutput(int acceptedBytes) : StreamOutput
    {
        private readonly List<ArraySegment<byte>> _pending = [];
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _reading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _accepted;

        public override string Path => TickStreamPath.Connection;

        public Task Stalled => _stalled.Task;

        public int Pending => _pending.Count;

        public int Received { get; private set; }

        public long LastSequence { get; private set; }

        public string? FirstBreak { get; private set; }

        public void ReadAgain() => _reading.TrySetResult();

        public override void Write(ArraySegment<byte> frame) => _pending.Add(frame);

        public override async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
        {
            while (_pending.Count > 0)
            {
                if (_accepted >= acceptedBytes && !_reading.Task.IsCompleted)
                {
                    _stalled.TrySetResult();
                    await _reading.Task.WaitAsync(cancellationToken);
                }

                _accepted += _pending[0].Count;
                Receive(_pending[0]);
                _pending.RemoveAt(0);
            }

            return true;
        }

        private void Receive(ArraySegment<byte> frame)
        {
            Received++;
            var text = Encoding.UTF8.GetString(frame);
            if (!text.Contains("event: tick\n", StringComparison.Ordinal))
            {
                return;
            }

            var id = text.Split('\n').First(line => line.StartsWith("id: ", StringComparison.Ordinal));
            var sequence = long.Parse(id[(id.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
            if (sequence != LastSequence + 1)
            {
                FirstBreak ??= $"tick {sequence} followed {LastSequence}";
            }

            LastSequence = sequence;
        }
    }
}

[CollectionDefinition(nameof(StalledReplayTests), DisableParallelization = true)]
public sealed class StalledReplayTestsRunAlone;
