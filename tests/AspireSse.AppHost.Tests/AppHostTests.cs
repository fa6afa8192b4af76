using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace AspireSse.AppHost.Tests;

// Tests in one class run one after another, so only one copy of the app
// (a Redis container and four processes) is up at any time.
public sealed class AppHostTests
{
    // Long enough for a cold Redis image pull plus the start-up of four processes.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);

    // The publisher ticks continuously, so a few ticks must arrive well within this.
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(30);

    private const int WebFrontendReplicas = 3;
    private const int TicksToCheck = 3;

    [Fact]
    public async Task EventServiceBecomesHealthy()
    {
        using var timeout = CancelAfter(StartupTimeout);
        var ct = timeout.Token;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AspireSse_AppHost>(ct).WaitAsync(ct);
        await using var app = await appHost.BuildAsync(ct).WaitAsync(ct);
        await app.StartAsync(ct).WaitAsync(ct);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("eventservice", ct).WaitAsync(ct);

        using var http = app.CreateHttpClient("eventservice");
        using var response = await http.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AllThreeWebFrontendReplicasBecomeHealthy()
    {
        using var timeout = CancelAfter(StartupTimeout);
        var ct = timeout.Token;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AspireSse_AppHost>(ct).WaitAsync(ct);
        await using var app = await appHost.BuildAsync(ct).WaitAsync(ct);
        await app.StartAsync(ct).WaitAsync(ct);

        // Waiting on the name alone returns as soon as any one replica is healthy.
        // Each replica reports under its own resource id, so collect distinct ids instead.
        var healthyReplicas = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var resourceEvent in app.ResourceNotifications.WatchAsync(ct))
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
        var ct = timeout.Token;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AspireSse_AppHost>(ct).WaitAsync(ct);
        await using var app = await appHost.BuildAsync(ct).WaitAsync(ct);
        await app.StartAsync(ct).WaitAsync(ct);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("eventservice", ct).WaitAsync(ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("webfrontend", ct).WaitAsync(ct);

        using var streamTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        streamTimeout.CancelAfter(StreamTimeout);
        var streamCt = streamTimeout.Token;

        using var http = app.CreateHttpClient("webfrontend");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        // Headers only: the body is an endless stream, so it must be read as it arrives.
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, streamCt);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        await using var stream = await response.Content.ReadAsStreamAsync(streamCt);
        var ids = await ReadTickIdsAsync(stream, streamCt);

        for (var i = 1; i < ids.Count; i++)
        {
            Assert.Equal(ids[i - 1] + 1, ids[i]);
        }
    }

    // Expects `hello` first; returns the sequences of the first few ticks (ids are `<epoch>-<sequence>`).
    private static async Task<List<long>> ReadTickIdsAsync(Stream stream, CancellationToken ct)
    {
        var ids = new List<long>(TicksToCheck);
        var greeted = false;
        string? epoch = null;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(ct))
        {
            if (!greeted)
            {
                Assert.Equal("hello", item.EventType);
                greeted = true;
                continue;
            }

            if (item.EventType == "heartbeat")
            {
                continue;
            }

            Assert.Equal("tick", item.EventType);
            var dash = item.EventId?.LastIndexOf('-') ?? -1;
            Assert.True(dash > 0, $"tick id '{item.EventId}' is not <epoch>-<sequence>");
            epoch ??= item.EventId![..dash];
            Assert.Equal(epoch, item.EventId![..dash]);
            Assert.True(
                long.TryParse(item.EventId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id),
                $"tick id '{item.EventId}' does not end in a sequence number");
            ids.Add(id);
            if (ids.Count == TicksToCheck)
            {
                break;
            }
        }

        Assert.True(greeted, "the stream ended before the hello event");
        Assert.Equal(TicksToCheck, ids.Count);
        return ids;
    }

    private static CancellationTokenSource CancelAfter(TimeSpan delay)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(delay);
        return cts;
    }
}
