using System.Globalization;
using System.Text.RegularExpressions;
using AspireSse.SystemTesting;
using AspireSse.TestSupport;

namespace AspireSse.Faults.Tests;

/// <summary>
/// Replicas at their open-file limit, lowered to a size CI can afford (the limit is what a replica
/// reads at start, however it was set): the excess is refused, the replica stays up, no client
/// misses a tick. Ticks every 100 ms: hundreds of clients at 20 ms would measure the test machine.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed partial class LimitTests
{
    private const string OpenFileLimit = "600";
    private const string Limited = "webfrontend-limited";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task AReplicaAtItsOpenFileLimitRefusesTheExcessAndServesThemOnceOthersLeave(FastPathMode fastPath)
    {
        await using var run = await StartAsync(fastPath, clients: 0, s => s.ExtraWebFrontends[Limited] = new()
        {
            ["Admission__OpenFileLimit"] = OpenFileLimit,
        });
        var replica = Assert.Single(run.System.Instances(Limited));
        var pid = run.System.ProcessIdOf(replica);
        var cap = await StreamCapAsync(run.System, replica);

        var held = Enumerable.Range(0, cap).Select(_ => run.AddClient(server: replica.Url)).ToList();
        await run.WaitUntilEveryClientHasAsync(3, Cancellation);
        var excess = Enumerable.Range(0, Math.Max(10, cap / 5)).Select(_ => run.AddClient(server: replica.Url)).ToList();
        await Eventually.WaitAsync(() => Task.FromResult(excess.Count(c => c.Refusals == 0)), n => n == 0, FaultRun.Timeout,
            "every client beyond the cap to be refused with 503 and Retry-After (count = not yet refused)", Cancellation);

        Assert.All(excess, c => Assert.Equal(0, c.Connections));
        Assert.Equal(503, await HealthProbe.StatusAsync(replica.Url));
        Assert.Equal(200, await HealthProbe.StatusAsync(replica.Url, "/alive"));

        // As many leave as are waiting: each waiting client gets in at its next try.
        foreach (var client in held.Take(excess.Count))
        {
            await run.LeaveAsync(client);
        }

        var report = await run.WaitForRecoveryAsync(Cancellation, beyond: 10);
        var crashed = FaultRun.Crashed(run.System, (replica, pid));
        report.Publish(run.Scenario("fd-limit-streams"), $"crashed={crashed} cap={cap} refused={excess.Sum(c => c.Refusals)}");
        AssertNothingLost(report, crashed);
        Assert.All(excess, c => Assert.Equal(1, c.Connections));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task SilentAndSlowConnectionsBeyondTheLimitAreCutWhileStreamsGoOn(FastPathMode fastPath)
    {
        var timeout = TimeSpan.FromSeconds(2);
        await using var run = await StartAsync(fastPath, clients: 0, s => s.ExtraWebFrontends[Limited] = new()
        {
            ["Admission__OpenFileLimit"] = OpenFileLimit,
            ["Admission__RequestHeadTimeout"] = timeout.ToString("c", CultureInfo.InvariantCulture),
        });
        var replica = Assert.Single(run.System.Instances(Limited));
        var pid = run.System.ProcessIdOf(replica);
        for (var i = 0; i < 20; i++)
        {
            run.AddClient(server: replica.Url);
        }

        await run.WaitUntilEveryClientHasAsync(3, Cancellation);

        // Twice as many silent connections as the process may have files, and some that send a
        // request head one byte at a time: Kestrel closes those beyond its limit at once, the head
        // timeout the rest. Connections the kernel never handed to the replica (its accept queue was
        // full) cost it no file, so the replica's own count of open files is what is checked.
        var filesBefore = OpenFilesOf(pid);
        var peak = 0;
        using var flooding = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var sampling = Task.Run(async () =>
        {
            while (!flooding.IsCancellationRequested)
            {
                peak = Math.Max(peak, OpenFilesOf(pid));
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None);
        var endpoint = new System.Net.DnsEndPoint(replica.Url.Host, replica.Url.Port);
        var slow = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RawConnection.OpenAsync(endpoint, Cancellation)));
        var drips = slow.Select(c => c.DripRequestHeadAsync("/events", TimeSpan.FromMilliseconds(250), Cancellation)).ToList();
        var silent = await Task.WhenAll(Enumerable.Range(0, 2 * int.Parse(OpenFileLimit, CultureInfo.InvariantCulture))
            .Select(_ => RawConnection.OpenAsync(endpoint, Cancellation)));
        var opened = silent.Count(c => c.Connected);

        var completedHeads = (await Task.WhenAll(drips).WaitAsync(FaultRun.Timeout, Cancellation)).Count(sent => sent);
        await Eventually.WaitAsync(() => Task.FromResult(OpenFilesOf(pid)), files => files <= filesBefore + 20, FaultRun.Timeout,
            $"the replica to cut every silent connection (files open; {filesBefore} before the flood)", Cancellation);
        await flooding.CancelAsync();
        await sampling;
        foreach (var connection in silent.Concat(slow))
        {
            connection.Dispose();
        }

        Assert.Equal(0, completedHeads);
        Assert.True(peak < int.Parse(OpenFileLimit, CultureInfo.InvariantCulture), $"the replica's files peaked at {peak}, below its limit");

        // Real clients keep coming: one that arrives now is served.
        var late = run.AddClient(server: replica.Url);
        var report = await run.WaitForRecoveryAsync(Cancellation, beyond: 10);
        var crashed = FaultRun.Crashed(run.System, (replica, pid));
        report.Publish(run.Scenario("fd-limit-idle-sockets"),
            $"crashed={crashed} silent={opened} byte-by-byte={slow.Length} peak-files={peak}/{OpenFileLimit}");
        AssertNothingLost(report, crashed);
        Assert.Equal(1, late.Connections);
        Assert.Equal(200, await HealthProbe.StatusAsync(replica.Url));
    }

    [Theory]
    [InlineData(FastPathMode.On)]
    [InlineData(FastPathMode.Off)]
    public async Task ClientsOfAKilledReplicaWaitForRoomAndResumeWithoutAGapWhileNoSurvivorDies(FastPathMode fastPath)
    {
        await using var run = await StartAsync(fastPath, clients: 0, s => s.WebFrontend["Admission__OpenFileLimit"] = OpenFileLimit);
        var replicas = run.System.WebFrontends;
        var pids = replicas.Select(r => (Replica: r, Pid: run.System.ProcessIdOf(r))).ToList();
        var caps = new List<int>();
        foreach (var replica in replicas)
        {
            caps.Add(await StreamCapAsync(run.System, replica));
        }

        // Near their caps together, and more than the two survivors can hold.
        var clients = caps.Sum() * 4 / 5;
        for (var i = 0; i < clients; i++)
        {
            run.AddClient();
        }

        await run.WaitUntilEveryClientHasAsync(3, Cancellation);
        var refusedBefore = run.Clients.Sum(c => c.Refusals);

        var killed = replicas[0];
        await run.System.KillAsync(killed, Cancellation);
        var survivors = pids.Skip(1).ToList();
        await Eventually.WaitAsync(async () => (await Task.WhenAll(survivors.Select(s => HealthProbe.StatusAsync(s.Replica.Url)))).Count(status => status == 503),
            full => full == survivors.Count, FaultRun.Timeout, "both survivors to fill up and say so on /health (count = full)", Cancellation);
        await Eventually.WaitAsync(() => Task.FromResult(run.Clients.Sum(c => c.Refusals) - refusedBefore), refused => refused > 0,
            FaultRun.Timeout, "clients that find no room to be refused with Retry-After", Cancellation);
        Assert.All(survivors, s => Assert.Equal(200, HealthProbe.StatusAsync(s.Replica.Url, "/alive").GetAwaiter().GetResult()));

        // The orchestrator brings the replica back; capacity frees, the waiting clients come in.
        await run.System.StartAgainAsync(killed, Cancellation);
        var report = await run.WaitForRecoveryAsync(Cancellation, beyond: 10);
        var crashed = FaultRun.Crashed(run.System, [.. survivors]);
        report.Publish(run.Scenario("cascade"), $"crashed={crashed} caps={string.Join('/', caps)} refused={run.Clients.Sum(c => c.Refusals) - refusedBefore}");
        AssertNothingLost(report, crashed);
    }

    private static Task<FaultRun> StartAsync(FastPathMode fastPath, int clients, Action<SystemSettings> configure) =>
        FaultRun.StartAsync(fastPath, Cancellation, clients, s =>
        {
            s.EventService["Ticks__Interval"] = "00:00:00.100";
            configure(s);
        });

    /// <summary>The stream cap the replica derived from its limits, as its start-up log states it.</summary>
    private static async Task<int> StreamCapAsync(RunningSystem system, Replica replica)
    {
        var match = await Eventually.WaitAsync(async () => ServingAtMost().Match(await system.LogsOfAsync(replica, Cancellation)),
            m => m.Success, FaultRun.Timeout, $"{replica.ResourceId} to log its stream cap", Cancellation);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Instances that were running and no longer are, or whose process is not the one that was.</summary>
    private static void AssertNothingLost(DeliveryReport report, int crashed)
    {
        Assert.Equal(0, crashed);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(0, report.Reordered);
    }

    private static int OpenFilesOf(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    [GeneratedRegex(@"Serving at most (\d+) streams")]
    private static partial Regex ServingAtMost();
}
