using System.Text.Json;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// Finds <c>sequence</c> and <c>publishedAt</c> in a tick's JSON, wherever they sit (an SSE data
/// line, or the argument of a SignalR invocation), without allocating.
/// </summary>
public static class TickPayload
{
    public static bool TryRead(ReadOnlySpan<byte> json, out long sequence, out DateTimeOffset publishedAt)
    {
        sequence = 0;
        publishedAt = default;
        bool hasSequence = false, hasPublishedAt = false;
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.ValueTextEquals("sequence"u8))
                {
                    hasSequence = reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out sequence);
                }
                else if (reader.ValueTextEquals("publishedAt"u8))
                {
                    hasPublishedAt = reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out publishedAt);
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return hasSequence && hasPublishedAt;
    }
}
