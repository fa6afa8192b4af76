using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using AspireSse.Telemetry.Tests.Otlp.Wire;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AspireSse.Telemetry.Tests.Otlp;

/// <summary>
/// A stand-in for the Aspire dashboard's OTLP endpoint: accepts OTLP/HTTP protobuf exports on
/// loopback and keeps every span and the latest value of every metric, for tests to query.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentDictionary<string, MetricPoint> _metrics = new();
    private readonly ConcurrentDictionary<string, int> _rejected = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base URL for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with protocol <c>http/protobuf</c>).</summary>
    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public IReadOnlyCollection<MetricPoint> Metrics => (IReadOnlyCollection<MetricPoint>)_metrics.Values;

    /// <summary>Requests that could not be decoded, by reason; a test fails on any.</summary>
    public IReadOnlyDictionary<string, int> Rejected => _rejected;

    public static async Task<OtlpReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new OtlpReceiver(builder.Build());
        receiver.MapExports();
        await receiver._app.StartAsync(cancellationToken);
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Endpoint = new Uri(address);
        return receiver;
    }

    private void MapExports()
    {
        _app.MapPost("/v1/traces", (HttpRequest request) => ReceiveAsync(request, ExportTraceServiceRequest.Parser, Collect));
        _app.MapPost("/v1/metrics", (HttpRequest request) => ReceiveAsync(request, ExportMetricsServiceRequest.Parser, Collect));
        // Logs are exported too (AddServiceDefaults turns them on); nothing here reads them.
        _app.MapPost("/v1/logs", () => Accepted());
    }

    private async Task<IResult> ReceiveAsync<T>(HttpRequest request, MessageParser<T> parser, Action<T> collect) where T : IMessage<T>
    {
        if (request.ContentType?.StartsWith("application/x-protobuf", StringComparison.Ordinal) != true)
        {
            _rejected.AddOrUpdate($"content type {request.ContentType}", 1, (_, n) => n + 1);
            return Results.StatusCode((int)HttpStatusCode.UnsupportedMediaType);
        }

        using var body = new MemoryStream();
        var source = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        await using (source)
        {
            await source.CopyToAsync(body, request.HttpContext.RequestAborted);
        }

        try
        {
            collect(parser.ParseFrom(body.ToArray()));
        }
        catch (InvalidProtocolBufferException ex)
        {
            _rejected.AddOrUpdate($"{request.Path}: {ex.Message}", 1, (_, n) => n + 1);
            return Results.BadRequest(ex.Message);
        }

        return Accepted();
    }

    private static IResult Accepted() => Results.Bytes(new ExportResponse().ToByteArray(), "application/x-protobuf");

    private void Collect(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var sender = SenderOf(resource.Resource);
            foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
            {
                _spans.Enqueue(new ReceivedSpan(
                    sender,
                    Hex(span.TraceId),
                    Hex(span.SpanId),
                    Hex(span.ParentSpanId),
                    span.Name,
                    (ReceivedSpanKind)span.Kind,
                    Attributes(span.Attributes),
                    [.. span.Links.Select(l => (Hex(l.TraceId), Hex(l.SpanId)))]));
            }
        }
    }

    private void Collect(ExportMetricsServiceRequest request)
    {
        foreach (var resource in request.ResourceMetrics)
        {
            var sender = SenderOf(resource.Resource);
            foreach (var metric in resource.ScopeMetrics.SelectMany(s => s.Metrics))
            {
                var points = metric.DataCase switch
                {
                    Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(p => Point(sender, metric, p)),
                    Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(p => Point(sender, metric, p)),
                    Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Select(p => new MetricPoint(
                        sender, metric.Name, metric.Unit, Attributes(p.Attributes), p.Sum, p.Count, p.HasMax ? p.Max : null)),
                    _ => [],
                };

                foreach (var point in points)
                {
                    _metrics[$"{sender}|{point.Name}|{string.Join(',', point.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))}"] = point;
                }
            }
        }
    }

    private static MetricPoint Point(Sender sender, Metric metric, NumberDataPoint point) =>
        new(sender, metric.Name, metric.Unit, Attributes(point.Attributes),
            point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble);

    private static Sender SenderOf(Resource resource)
    {
        var attributes = Attributes(resource.Attributes);
        return new Sender(
            attributes.GetValueOrDefault("service.name") as string ?? "",
            attributes.GetValueOrDefault("service.instance.id") as string ?? "");
    }

    private static Dictionary<string, object?> Attributes(RepeatedField<KeyValue> attributes) =>
        attributes.ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            AnyValue.ValueOneofCase.IntValue => a.Value.IntValue,
            AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue,
            AnyValue.ValueOneofCase.DoubleValue => (object?)a.Value.DoubleValue,
            _ => null,
        }, StringComparer.Ordinal);

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
