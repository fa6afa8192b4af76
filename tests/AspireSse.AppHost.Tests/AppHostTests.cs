using System.Net;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace AspireSse.AppHost.Tests;

// Tests in one class run one after another, so only one copy of the app
// (Redis and four processes) is up at any time.
public sealed class AppHostTests
{
    // Long enough for a cold Redis image pull plus the start-up of four processes.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);

    // The publisher ticks every second, so a few ticks must arrive well within this.
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(30);

    private const int WebFrontendReplicas = 3;
    private const int TicksToCheck = 3;

    [Fact]
    public async Task EveryResourceBecomesHealthy()
    {
        using var timeout = CancelAfter(StartupTimeout);
        await using var appHost = await RunningAppHost.StartAsync(timeout.Token);

        await appHost.WaitAllHealthyAsync(timeout.Token);

        HashSet<string> expected = ["redis", "eventservice", "webfrontend"];
        if (appHost.RedisIsExecutable)
        {
            expected.Add("redis-server");
        }

        Assert.Subset(appHost.StartedResources.ToHashSet(), expected);
    }

    [Fact]
    public async Task EventServiceReportsHealthy()
    {
        using var timeout = CancelAfter(StartupTimeout);
        await using var appHost = await RunningAppHost.StartAsync(timeout.Token);
        await appHost.WaitHealthyAsync("eventservice", timeout.Token);

        using var http = appHost.App.CreateHttpClient("eventservice");
        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(timeout.Token));
    }

    [Fact]
    public async Task AllThreeWebFrontendReplicasBecomeHealthy()
    {
        using var timeout = CancelAfter(StartupTimeout);
        await using var appHost = await RunningAppHost.StartAsync(timeout.Token);

        // Waiting on the name alone returns as soon as any one replica is healthy.
        // Each replica reports under its own resource id, so collect distinct ids instead.
        var healthyReplicas = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var resourceEvent in appHost.App.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (resourceEvent.Resource.Name == "webfrontend"
                && resourceEvent.Snapshot.HealthStatus == HealthStatus.Healthy
                && healthyReplicas.Add(resourceEvent.ResourceId)
                && healthyReplicas.Count == WebFrontendReplicas)
            {
                break;
            }
        }

        Assert.Equal(WebFrontendReplicas, healthyReplicas.Count);
        // A bare "webfrontend" id would be the resource as a whole, not one of its instances.
        Assert.DoesNotContain("webfrontend", healthyReplicas);
    }

    [Fact]
    public async Task WebFrontendStreamsConsecutiveTicks()
    {
        using var timeout = CancelAfter(StartupTimeout);
        await using var appHost = await RunningAppHost.StartAsync(timeout.Token);
        await appHost.WaitAllHealthyAsync(timeout.Token);

        using var streamTimeout = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        streamTimeout.CancelAfter(StreamTimeout);
        using var http = appHost.App.CreateHttpClient("webfrontend");
        var sequences = await TickStream.ReadSequencesAsync(http, TicksToCheck, streamTimeout.Token);

        for (var i = 1; i < sequences.Count; i++)
        {
            Assert.Equal(sequences[i - 1] + 1, sequences[i]);
        }
    }

    private static CancellationTokenSource CancelAfter(TimeSpan delay)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(delay);
        return cts;
    }
}
