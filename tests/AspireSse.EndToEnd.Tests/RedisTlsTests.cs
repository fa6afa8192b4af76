using AspireSse.TestSupport;

namespace AspireSse.EndToEnd.Tests;

/// <summary>
/// Redis as Aspire 13.1+ runs it when a developer certificate is trusted: TLS only, a connection
/// string ending in <c>ssl=true</c>, and the certificate trusted through <c>SSL_CERT_DIR</c>.
/// </summary>
public sealed class RedisTlsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ServicesStreamTicksOverRedisWithTls()
    {
        using var certificate = DevelopmentCertificate.Create();
        await using var harness = await ServiceHarness.StartAsync(redisPersistence: false, redisTls: certificate.Redis,
            cancellationToken: Cancellation);
        Assert.EndsWith(",ssl=true", harness.Redis.ConnectionString, StringComparison.Ordinal);
        Dictionary<string, string?> trusting = new() { ["SSL_CERT_DIR"] = certificate.TrustDirectory };

        await harness.StartEventServiceAsync(trusting, cancellationToken: Cancellation);
        var frontend = await harness.StartWebFrontendAsync(trusting, cancellationToken: Cancellation);
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        await using var client = await SseTestClient.ConnectAsync(http, new Uri(frontend.Url, "/events"), Cancellation);
        var events = await client.WaitForTicksAsync(3, Eventually.Timeout, Cancellation);

        Assert.Equal("hello", events[0].Type);
        var sequences = events.Where(e => e.Type == "tick").Select(e => e.Sequence).ToList();
        Assert.Null(TickSequence.FirstBreak(sequences));
    }

    // Without the trust directory the same set-up must fail: proof that the test above passes because
    // the certificate is checked and trusted through SSL_CERT_DIR, not because nobody checks it.
    [Fact]
    public async Task ServicesRefuseARedisCertificateTheyDoNotTrust()
    {
        using var certificate = DevelopmentCertificate.Create();
        await using var harness = await ServiceHarness.StartAsync(redisPersistence: false, redisTls: certificate.Redis,
            cancellationToken: Cancellation);
        var eventService = harness.CreateEventService(new Dictionary<string, string?>());

        eventService.Start();
        await Eventually.WaitAsync(() => Task.FromResult(eventService.RecentOutput),
            output => output.Contains("UntrustedRoot", StringComparison.Ordinal), Eventually.Timeout,
            "the EventService to report the Redis certificate as untrusted", Cancellation);

        Assert.NotEqual(200, await HealthProbe.StatusAsync(eventService));
    }
}
