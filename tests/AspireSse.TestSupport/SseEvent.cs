using System.Globalization;
using System.Text.Json;

namespace AspireSse.TestSupport;

/// <summary>One event as a client saw it.</summary>
/// <param name="ReceivedAt">When it arrived, a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
public sealed record SseEvent(string Type, string? Id, string Data, long ReceivedAt = 0)
{
    /// <summary>The tick's sequence from its SSE id, as a browser would track it.</summary>
    public long Sequence => long.Parse(IdPart(1), CultureInfo.InvariantCulture);

    /// <summary>The numbering epoch from the SSE id (<c>epoch-sequence</c>).</summary>
    public string Epoch => IdPart(0);

    private string IdPart(int part)
    {
        var id = Id ?? throw new InvalidOperationException($"A {Type} event has no id.");
        var dash = id.LastIndexOf('-');
        return part == 0 ? id[..Math.Max(dash, 0)] : id[(dash + 1)..];
    }

    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    public string? Replica => Json.TryGetProperty("replica", out var replica) ? replica.GetString() : null;

    // The generated ToString would read Sequence and Epoch, which throw for an event without an id
    // (a hello), and failure messages that list events would say that instead of the events.
    public override string ToString() => Id is null ? $"{Type} {Data}" : $"{Type} {Id} {Data}";
}
