using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AspireSse.TestSupport;

namespace AspireSse.WebFrontend.Tests;

/// <summary>What <c>StreamAuthorization:ApiKey</c> protects, against the real processes.</summary>
public sealed class StreamAuthorizationTests
{
    private const string Key = "a-key-for-the-tests-0123456789";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithStreamsProtectedByAnApiKeyTheStatsAsk401WithoutTheKeyAndAnswerWithIt()
    {
        await using var harness = await ServiceHarness.StartRelayAsync(
            new Dictionary<string, string?> { ["Ticks__Interval"] = "00:00:00.100" },
            new Dictionary<string, string?> { ["StreamAuthorization__ApiKey"] = Key },
            Cancellation);
        var frontend = harness.Services[^1];
        using var http = new HttpClient();
        var stats = new Uri(frontend.Url, "/events/stats");

        foreach (var sent in new[] { null, "not-the-key-0123456789abcdef" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, stats);
            if (sent is not null)
            {
                request.Headers.Add("X-Api-Key", sent);
            }

            using var refused = await http.SendAsync(request, Cancellation);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("ApiKey", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
            Assert.DoesNotContain("lastSequence", await refused.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
        }

        using var allowed = new HttpRequestMessage(HttpMethod.Get, stats);
        allowed.Headers.Add("X-Api-Key", Key);
        using var answer = await http.SendAsync(allowed, Cancellation);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var json = await answer.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.True(json.GetProperty("lastSequence").GetInt64() > 0);
        // The probes stay open: a health-checking proxy sends no key.
        Assert.Equal(200, await HealthProbe.StatusAsync(frontend));
    }
}
