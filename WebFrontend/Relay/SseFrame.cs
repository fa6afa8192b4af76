using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// Encodes one Server-Sent Event, ready to copy to any number of connections as it is.
/// </summary>
/// <remarks>
/// A tick reaches every client of a replica with identical bytes, so it is encoded once here and
/// each connection only copies it; formatting per connection (as <c>TypedResults.ServerSentEvents</c>
/// does) would repeat the UTF-8 encoding for every client.
/// </remarks>
public static class SseFrame
{
    public static byte[] Encode<T>(string eventType, T data, JsonTypeInfo<T> typeInfo, string? id = null, TimeSpan? retry = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteField(buffer, "event: "u8, eventType);
        if (id is not null)
        {
            WriteField(buffer, "id: "u8, id);
        }

        if (retry is { } interval)
        {
            WriteField(buffer, "retry: "u8, ((long)interval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        }

        buffer.Write("data: "u8);
        // JSON written without indentation escapes every line break, so the data is one line.
        using (var json = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(json, data, typeInfo);
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteField(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> name, string value)
    {
        if (value.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException($"An SSE field cannot contain a line break: '{value}'.", nameof(value));
        }

        buffer.Write(name);
        var bytes = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(value, bytes));
        buffer.Write("\n"u8);
    }
}
