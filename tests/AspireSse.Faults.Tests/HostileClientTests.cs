using System.Globalization;
using System.Net;
using System.Text.Json;
using AspireSse.Contracts;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// Clients and messages that no well-behaved browser or EventService sends, all at once, at replicas of
/// their own (one on the fast path, one the plain pattern), each with a normal client beside them.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class HostileClientTests
{
    private const string Fast = "webfrontend-hostile";
    private const string Plain = "webfrontend-hostile-plain";
    private const int StreamsEach = 200;
    private const int JunkBytes = 1024 * 1024;
    private const int Replays = 5;
    private const int GarbageMessages = 200;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HostileClientsAndGarbageOnTheChannelCostAReplicaBoundedMemoryWhileANormalClientBesideThemMissesNothing()
    {
        await using var run = await FaultRun.StartAsync(FastPathMode.On, Cancellation, clients: 0, configure: s =>
        {
            s.ExtraWebFrontends[Fast] = new();
            s.ExtraWebFrontends[Plain] = new() { [FastPathSetting.Name] = FastPathMode.Off.Value() };
        });
        var targets = new[] { Fast, Plain }.Select(name => Assert.Single(run.System.Instances(name))).ToList();
        var pids = targets.Select(run.System.ProcessIdOf).ToList();
        foreach (var target in targets)
        {
            for (var i = 0; i < 5; i++)
            {
                run.AddClient(server: target.Url);
            }
        }

        await run.WaitUntilEveryClientHasAsync(10, Cancellation);
        var redis = await run.System.RedisAsync(Cancellation);
        var epoch = (string)(await redis.StringGetAsync(TickRedisKeys.Epoch))!;

        var replays = targets.SelectMany(t => Enumerable.Range(0, 2).Select(_ => ReplayFromZeroInALoopAsync(t.Url, epoch))).ToList();
        var garbage = PublishGarbageAsync(redis, epoch);

        var connections = new List<RawConnection>();
        var costs = new List<(double Plain, double Junk)>();
        try
        {
            foreach (var (target, pid) in targets.Zip(pids))
            {
                var endpoint = new DnsEndPoint(target.Url.Host, target.Url.Port);
                var before = ResidentMemory.Kilobytes(pid);
                // Streams that never read: what a plain stream costs, as the yardstick.
                var silent = await OpenAsync(endpoint, junkBytes: 0);
                var withStreams = ResidentMemory.Kilobytes(pid);
                // Streams that send a megabyte after their head and never read either.
                var junk = await OpenAsync(endpoint, JunkBytes);
                var withJunk = ResidentMemory.Kilobytes(pid);
                connections.AddRange(silent.Concat(junk));
                costs.Add(((withStreams - before) / (double)StreamsEach, (withJunk - withStreams) / (double)StreamsEach));
            }

            var replayed = (await Task.WhenAll(replays).WaitAsync(FaultRun.Timeout, Cancellation)).Sum();
            var published = await garbage;

            var report = await run.WaitForRecoveryAsync(Cancellation);
            var crashed = FaultRun.Crashed(run.System, [.. targets.Zip(pids)]);
            report.Publish(run.Scenario("hostile-clients"),
                $"crashed={crashed} never-reading={2 * StreamsEach} junk-after-head={2 * StreamsEach} replays-from-zero={replayed} garbage-messages={published} " +
                $"rss-kb-per-stream={string.Join('/', costs.Select(c => c.Plain.ToString("F0", CultureInfo.InvariantCulture)))} " +
                $"rss-kb-per-junk-stream={string.Join('/', costs.Select(c => c.Junk.ToString("F0", CultureInfo.InvariantCulture)))} (fast/plain)");
            Assert.Equal(0, crashed);
            Assert.Equal((0L, 0L, 0L), (report.Lost, report.Duplicated, report.Reordered));
            Assert.All(run.Clients, c => Assert.Equal(0, c.Resets));
            foreach (var (plain, junk) in costs)
            {
                Assert.True(junk <= plain + 64, $"a stream with a megabyte after its head cost {junk:F0} KB, against {plain:F0} KB for a plain one");
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    private static async Task<RawConnection[]> OpenAsync(EndPoint endpoint, int junkBytes)
    {
        var connections = await Task.WhenAll(Enumerable.Range(0, StreamsEach)
            .Select(_ => RawConnection.OpenAsync(endpoint, Cancellation, receiveBufferBytes: 4096)));
        await Task.WhenAll(connections.Select(c => c.SendAsync(RawConnection.EventsHead(), junkBytes, TimeSpan.FromSeconds(5), Cancellation)));
        return connections;
    }

    /// <summary>Resumes from the very first tick, reads until the replay has caught up, and does it again.</summary>
    private static async Task<int> ReplayFromZeroInALoopAsync(Uri replica, string epoch)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        for (var replay = 0; replay < Replays; replay++)
        {
            await using var client = await SseTestClient.ConnectAsync(http, new Uri(replica, "/events"), Cancellation, lastEventId: $"{epoch}-0");
            await client.WaitUntilAsync(e => e.Any(t => t.Type == "tick" && !t.Json.GetProperty("replayed").GetBoolean()),
                FaultRun.Timeout, Cancellation);
        }

        return Replays;
    }

    /// <summary>What a compromised or buggy publisher could put on the channel, over and over.</summary>
    private static async Task<int> PublishGarbageAsync(StackExchange.Redis.IDatabase redis, string epoch)
    {
        string[] messages =
        [
            "not json",
            JsonSerializer.Serialize(new Tick(epoch, 999_999_999_999_999_999, DateTimeOffset.UtcNow), TickJsonContext.Default.Tick),
            JsonSerializer.Serialize(new Tick("bad\nepoch", 1, DateTimeOffset.UtcNow), TickJsonContext.Default.Tick),
            JsonSerializer.Serialize(new Tick("f0f0f0f0", 1, DateTimeOffset.UtcNow), TickJsonContext.Default.Tick),
            JsonSerializer.Serialize(new Tick(epoch, -5, DateTimeOffset.UtcNow), TickJsonContext.Default.Tick),
        ];
        for (var i = 0; i < GarbageMessages; i++)
        {
            await redis.PublishAsync(TickRedisKeys.Channel, messages[i % messages.Length]);
            // Between real ticks, over a few seconds, as a misbehaving publisher would.
            await Task.Delay(20, Cancellation);
        }

        return GarbageMessages;
    }
}
