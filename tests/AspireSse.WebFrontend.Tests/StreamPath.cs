using System.Text.Json;
using AspireSse.TestSupport;
using AspireSse.TestSupport.Processes;

namespace AspireSse.WebFrontend.Tests;

/// <summary>
/// The ways a replica opens a stream (<c>aspiresse.sse.path</c>), and how a test makes a client take
/// each: with the fast path on, a fresh connection is answered below HTTP, a connection that already
/// carried another request goes through the HTTP pipeline and is written to the socket, and with
/// <c>FastPath:WriteToSocket=false</c> everything goes through Kestrel's response pipe; with the fast
/// path off (<see cref="Plain"/>) every stream takes the pipe, as the plain pattern.
/// </summary>
public static class StreamPath
{
    public const string Connection = "connection";
    public const string Socket = "socket";
    public const string Pipe = "pipe";

    /// <summary>The fast path off: not a path of its own, counted as <see cref="Pipe"/>.</summary>
    public const string Plain = "plain";

    /// <summary>The replica settings that allow <paramref name="path"/>.</summary>
    public static Dictionary<string, string?> Settings(string path) => path == Plain
        ? new() { [FastPathSetting.Name] = FastPathMode.Off.Value() }
        : new() { [FastPathSetting.Name] = FastPathMode.On.Value(), ["FastPath__WriteToSocket"] = path == Pipe ? "false" : "true" };

    /// <summary>The path the replica counts a stream opened as <paramref name="path"/> under.</summary>
    public static string Counted(string path) => path == Plain ? Pipe : path;

    /// <summary>
    /// An HttpClient whose next <c>/events</c> request takes <paramref name="path"/> (given
    /// <see cref="Settings"/>): for <see cref="Socket"/>, its only connection has already served a
    /// <c>/events/stats</c> request, as a browser's or YARP's pooled connection would have.
    /// </summary>
    public static async Task<HttpClient> ClientAsync(string path, ServiceProcess frontend, CancellationToken cancellationToken)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        if (path == Socket)
        {
            using var warm = await http.GetAsync(new Uri(frontend.Url, "/events/stats"), cancellationToken);
            warm.EnsureSuccessStatusCode();
            await warm.Content.ReadAsStringAsync(cancellationToken);
        }

        return http;
    }

    /// <summary>The replica's count of streams opened on each path, from <c>/events/stats</c>.</summary>
    public static async Task<Dictionary<string, long>> OpenedAsync(ServiceProcess frontend, CancellationToken cancellationToken,
        string? apiKey = null) =>
        (await StatsAsync(frontend, cancellationToken, apiKey)).GetProperty("opened").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetInt64());

    /// <summary>The replica's <c>/events/stats</c>, sending <paramref name="apiKey"/> when the replica asks for one.</summary>
    public static async Task<JsonElement> StatsAsync(ServiceProcess frontend, CancellationToken cancellationToken, string? apiKey = null)
    {
        // A client of its own, so reading the stats never reuses (or opens) a test client's connection.
        using var http = new HttpClient();
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return JsonSerializer.Deserialize<JsonElement>(await http.GetStringAsync(new Uri(frontend.Url, "/events/stats"), cancellationToken));
    }

    /// <summary>Exactly one stream so far, opened on <paramref name="path"/>.</summary>
    public static async Task AssertOnlyAsync(string path, ServiceProcess frontend, CancellationToken cancellationToken, string? apiKey = null)
    {
        var opened = await OpenedAsync(frontend, cancellationToken, apiKey);
        Assert.Equal(new Dictionary<string, long> { [Connection] = 0, [Socket] = 0, [Pipe] = 0, [Counted(path)] = 1 }, opened);
    }
}
