using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AspireSse.Telemetry.Tests.Dashboard;

/// <summary>
/// What the Aspire dashboard received, read through its own telemetry HTTP API (the one
/// <c>aspire otel</c> reads): <c>/api/telemetry/resources</c>, <c>/spans</c>, <c>/logs</c> and
/// <c>/traces/{traceId}</c> on the dashboard's frontend endpoint, with the AppHost's API key.
/// Spans and logs come back as OTLP JSON; the dashboard sends every attribute value as a string.
/// </summary>
internal sealed class DashboardTelemetry : IDisposable
{
    /// <summary>The dashboard resource the AppHost runs, and its browser endpoint (which also serves the API).</summary>
    public const string DashboardResource = "aspire-dashboard";

    /// <summary>
    /// How many of a resource's newest spans a probe asks for. The API's default is 200, only seconds'
    /// worth of a replica's or an EventService's spans: on a busy machine the span a probe looks for
    /// could scroll out of them before it is read, and then never be found.
    /// </summary>
    public const int RecentSpans = 2000;

    private const string ApiKeyHeader = "x-api-key";

    /// <summary>Any one request; the dashboard answers from memory, so seconds mean it is stuck.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;

    private DashboardTelemetry(HttpClient http, Uri loginUrl)
    {
        _http = http;
        LoginUrl = loginUrl;
    }

    /// <summary>The browser-ready URL (<c>/login?t=…</c>) that signs a browser in.</summary>
    public Uri LoginUrl { get; }

    public Uri BaseUrl => _http.BaseAddress!;

    public static async Task<DashboardTelemetry> ConnectAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        // Waits until the dashboard is healthy; the base of this URL is the dashboard itself.
        var loginUrl = await app.GetDashboardUrlAsync(cancellationToken);
        var endpoint = app.GetEndpoint(DashboardResource, "http");
        if (endpoint.GetLeftPart(UriPartial.Authority) != loginUrl.GetLeftPart(UriPartial.Authority))
        {
            throw new InvalidOperationException($"The dashboard's login URL {loginUrl.GetLeftPart(UriPartial.Path)} is not on its http endpoint {endpoint}.");
        }

        var http = new HttpClient { BaseAddress = endpoint, Timeout = RequestTimeout };
        // Null when the dashboard runs unsecured; then the API asks for no key.
        if (app.Services.GetRequiredService<IConfiguration>()["AppHost:DashboardApiKey"] is { Length: > 0 } apiKey)
        {
            http.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
        }

        return new DashboardTelemetry(http, loginUrl);
    }

    /// <summary>Every instance the dashboard has telemetry from, each resource name with its <c>service.instance.id</c>.</summary>
    public async Task<IReadOnlyList<DashboardResource>> ResourcesAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("/api/telemetry/resources", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return [.. json.RootElement.EnumerateArray().Select(r => new DashboardResource(
            r.GetProperty("name").GetString()!,
            r.GetProperty("instanceId").GetString(),
            r.GetProperty("displayName").GetString()!,
            r.GetProperty("hasLogs").GetBoolean(),
            r.GetProperty("hasTraces").GetBoolean(),
            r.GetProperty("hasMetrics").GetBoolean()))];
    }

    /// <summary>
    /// The spans of the given instances (resource ids such as <c>webfrontend-abcdwxyz</c>: a plain
    /// <c>webfrontend</c> is ambiguous with replicas, and the dashboard answers 404), newest last:
    /// the newest 200 unless <paramref name="limit"/> says otherwise.
    /// </summary>
    public async Task<IReadOnlyList<DashboardSpan>> SpansAsync(IEnumerable<string> resourceIds, CancellationToken cancellationToken,
        string? traceId = null, int? limit = null)
    {
        var query = Query(resourceIds, ("traceId", traceId), ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return ReadSpans(await GetDataAsync($"/api/telemetry/spans{query}", cancellationToken)
            ?? throw new InvalidOperationException($"The dashboard knows none of {query}."));
    }

    /// <summary>Every span of one trace, from every instance, as the dashboard's trace page shows it; empty when it has none yet.</summary>
    public async Task<IReadOnlyList<DashboardSpan>> TraceAsync(string traceId, CancellationToken cancellationToken) =>
        await GetDataAsync($"/api/telemetry/traces/{Uri.EscapeDataString(traceId)}", cancellationToken) is { } data ? ReadSpans(data) : [];

    /// <summary>The structured logs of the given instances, oldest first.</summary>
    public async Task<IReadOnlyList<DashboardLog>> LogsAsync(IEnumerable<string> resourceIds, CancellationToken cancellationToken)
    {
        var query = Query(resourceIds);
        var data = await GetDataAsync($"/api/telemetry/logs{query}", cancellationToken)
            ?? throw new InvalidOperationException($"The dashboard knows none of {query}.");
        return [.. Items(data, "resourceLogs", "scopeLogs", "logRecords").Select(r => new DashboardLog(
            r.Sender,
            r.Scope,
            r.Item.TryGetProperty("severityText", out var severity) ? severity.GetString()! : "",
            r.Item.TryGetProperty("body", out var body) ? ValueOf(body) : "",
            StringOrEmpty(r.Item, "traceId"),
            Attributes(r.Item)))];
    }

    /// <summary>
    /// The records of OTLP JSON, each with the instance that sent it and its instrumentation scope:
    /// resource → scope → item, the same nesting for spans and logs.
    /// </summary>
    private static IEnumerable<(Sender Sender, string Scope, JsonElement Item)> Items(JsonElement data, string resources, string scopes, string items)
    {
        foreach (var resource in data.GetProperty(resources).EnumerateArray())
        {
            var sender = SenderOf(resource);
            foreach (var scope in resource.GetProperty(scopes).EnumerateArray())
            {
                var name = scope.GetProperty("scope").GetProperty("name").GetString()!;
                foreach (var item in scope.GetProperty(items).EnumerateArray())
                {
                    yield return (sender, name, item);
                }
            }
        }
    }

    /// <summary>The response's OTLP JSON <c>data</c>, or null on 404 (no such resource or trace).</summary>
    private async Task<JsonElement?> GetDataAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.GetProperty("data").Clone();
    }

    private static string Query(IEnumerable<string> resourceIds, params (string Name, string? Value)[] more) =>
        "?" + string.Join('&', resourceIds.Select(id => ("resource", (string?)id)).Concat(more)
            .Where(p => p.Item2 is not null)
            .Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));

    private static List<DashboardSpan> ReadSpans(JsonElement data) =>
        [.. Items(data, "resourceSpans", "scopeSpans", "spans").Select(r => new DashboardSpan(
            r.Sender,
            r.Scope,
            r.Item.GetProperty("traceId").GetString()!,
            r.Item.GetProperty("spanId").GetString()!,
            StringOrEmpty(r.Item, "parentSpanId"),
            r.Item.GetProperty("name").GetString()!,
            r.Item.TryGetProperty("kind", out var kind) ? (DashboardSpanKind)kind.GetInt32() : DashboardSpanKind.Unspecified,
            Attributes(r.Item),
            r.Item.TryGetProperty("links", out var links)
                ? [.. links.EnumerateArray().Select(l => (l.GetProperty("traceId").GetString()!, l.GetProperty("spanId").GetString()!))]
                : []))];

    private static Sender SenderOf(JsonElement resourceItem)
    {
        var attributes = Attributes(resourceItem.GetProperty("resource"));
        return new Sender(attributes.GetValueOrDefault("service.name", ""), attributes.GetValueOrDefault("service.instance.id", ""));
    }

    private static Dictionary<string, string> Attributes(JsonElement item) =>
        item.TryGetProperty("attributes", out var attributes)
            ? attributes.EnumerateArray()
                .GroupBy(a => a.GetProperty("key").GetString()!)
                .ToDictionary(g => g.Key, g => ValueOf(g.Last().GetProperty("value")))
            : [];

    /// <summary>An OTLP <c>AnyValue</c> as text: <c>{"stringValue": "…"}</c>, or another kind's JSON.</summary>
    private static string ValueOf(JsonElement anyValue) =>
        anyValue.EnumerateObject().FirstOrDefault() is { Value: var value } && value.ValueKind != JsonValueKind.Undefined
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : "";

    private static string StringOrEmpty(JsonElement item, string property) =>
        item.TryGetProperty(property, out var value) ? value.GetString() ?? "" : "";

    public void Dispose() => _http.Dispose();
}

/// <summary>One entry of <c>/api/telemetry/resources</c>.</summary>
internal sealed record DashboardResource(string Name, string? InstanceId, string DisplayName, bool HasLogs, bool HasTraces, bool HasMetrics);

/// <summary>Which process sent something: OpenTelemetry's <c>service.name</c> and <c>service.instance.id</c>.</summary>
internal sealed record Sender(string ServiceName, string InstanceId)
{
    public override string ToString() => $"{ServiceName}-{InstanceId}";
}

/// <summary>OTLP's <c>Span.SpanKind</c>, which the dashboard's JSON carries as its number.</summary>
internal enum DashboardSpanKind
{
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

/// <summary>One span as the dashboard holds it; ids are lower-case hex, a root span's parent is empty.</summary>
internal sealed record DashboardSpan(
    Sender Sender,
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    DashboardSpanKind Kind,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    public string? Attribute(string key) => Attributes.GetValueOrDefault(key);

    public long? LongAttribute(string key) =>
        long.TryParse(Attribute(key), System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>One structured log record as the dashboard holds it.</summary>
internal sealed record DashboardLog(
    Sender Sender,
    string Category,
    string Severity,
    string Message,
    string TraceId,
    IReadOnlyDictionary<string, string> Attributes);
