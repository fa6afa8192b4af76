using System.Globalization;
using System.Text.Json;

namespace AspireSse.TestSupport;

/// <summary>One event as a client saw it.</summary>
public sealed record SseEvent(string Type, string? Id, string Data)
{
    /// <summary>The tick's sequence from its SSE id, as a browser would track it.</summary>
    public long Sequence => long.Parse(Id ?? throw new InvalidOperationException($"A {Type} event has no id."), CultureInfo.InvariantCulture);

    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public string? Replica => Json.TryGetProperty("replica", out var replica) ? replica.GetString() : null;
}
