using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using Xunit;

namespace AspireSse.AppHost.Tests;

/// <summary>
/// Reads <c>/events</c> as a browser would. Self-contained rather than AspireSse.TestSupport's client:
/// that library brings the services' StackExchange.Redis major version into this process, where the
/// AppHost's Redis health check runs on the version Aspire.Hosting.Redis was built against.
/// </summary>
internal static class TickStream
{
    /// <summary>Expects <c>hello</c> first; returns the sequences of the first <paramref name="count"/> ticks.</summary>
    public static async Task<List<long>> ReadSequencesAsync(HttpClient http, int count, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/events", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        // Headers only: the body is an endless stream, so it must be read as it arrives.
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var sequences = new List<long>(count);
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

            // Tick ids are <epoch>-<sequence>; the epoch must not change within a few seconds.
            Assert.Equal("tick", item.EventType);
            var dash = item.EventId?.LastIndexOf('-') ?? -1;
            Assert.True(dash > 0, $"tick id '{item.EventId}' is not <epoch>-<sequence>");
            epoch ??= item.EventId![..dash];
            Assert.Equal(epoch, item.EventId![..dash]);
            Assert.True(
                long.TryParse(item.EventId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence),
                $"tick id '{item.EventId}' does not end in a sequence number");
            sequences.Add(sequence);
            if (sequences.Count == count)
            {
                break;
            }
        }

        Assert.True(greeted, "the stream ended before the hello event");
        Assert.Equal(count, sequences.Count);
        return sequences;
    }
}
