using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The head of an HTTP/1.1 <c>GET /events</c> request, read from a connection's first bytes by
/// <see cref="TickStreamConnections"/>. Only the plain, common form is recognised; anything else —
/// another method, path or version, a body, an upgrade, a header Kestrel might reject — is left to
/// Kestrel's own parser, which then serves or refuses it as usual.
/// </summary>
internal sealed record StreamRequestHead(int Length, string? LastEventId, string? TraceParent, string? TraceState)
{
    /// <summary>Longer heads are left to Kestrel; a browser's or YARP's is well under 2 KB.</summary>
    public const int MaxLength = 8 * 1024;

    private static ReadOnlySpan<byte> Start => "GET /events"u8;

    private static ReadOnlySpan<byte> End => "\r\n\r\n"u8;

    public enum Outcome
    {
        /// <summary>Not (yet) known: wait for more bytes.</summary>
        NeedMore,

        /// <summary>Some other request, or a form left to Kestrel.</summary>
        NotOurs,

        /// <summary>A complete <c>GET /events</c> head.</summary>
        Ours,
    }

    public static Outcome TryParse(ReadOnlySequence<byte> buffer, out StreamRequestHead? head)
    {
        head = null;
        var prefix = (int)Math.Min(buffer.Length, Start.Length + 1);
        Span<byte> first = stackalloc byte[Start.Length + 1];
        buffer.Slice(0, prefix).CopyTo(first);
        if (!Start[..Math.Min(prefix, Start.Length)].SequenceEqual(first[..Math.Min(prefix, Start.Length)])
            || (prefix > Start.Length && first[Start.Length] is not ((byte)' ' or (byte)'?')))
        {
            return Outcome.NotOurs;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> _, End, advancePastDelimiter: true))
        {
            return buffer.Length >= MaxLength ? Outcome.NotOurs : Outcome.NeedMore;
        }

        if (reader.Consumed > MaxLength)
        {
            return Outcome.NotOurs;
        }

        // Once per stream, so plain strings are fine here.
        var text = Encoding.Latin1.GetString(buffer.Slice(0, reader.Consumed - End.Length));
        head = Parse(text, (int)reader.Consumed);
        return head is null ? Outcome.NotOurs : Outcome.Ours;
    }

    private static StreamRequestHead? Parse(string text, int length)
    {
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine is not ["GET", var target, "HTTP/1.1"])
        {
            return null;
        }

        string? queryId = null;
        if (target != "/events")
        {
            if (!target.StartsWith("/events?", StringComparison.Ordinal) || !TryQueryId(target["/events".Length..], out queryId))
            {
                return null;
            }
        }

        string? host = null, headerId = null, traceParent = null, traceState = null;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(line.AsSpan(0, colon)) || !IsFieldValue(line.AsSpan(colon + 1)))
            {
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            switch (name.ToUpperInvariant())
            {
                case "HOST" when host is null:
                    host = value;
                    break;
                case "LAST-EVENT-ID" when headerId is null && value.Length > 0:
                    headerId = value;
                    break;
                case "TRACEPARENT" when traceParent is null:
                    traceParent = value;
                    break;
                case "TRACESTATE" when traceState is null:
                    traceState = value;
                    break;
                case "CONTENT-LENGTH" when value == "0":
                    break;
                // Repeated or empty headers we read, a body, an upgrade or an expectation: Kestrel's call.
                case "HOST" or "LAST-EVENT-ID" or "TRACEPARENT" or "TRACESTATE" or "CONTENT-LENGTH"
                    or "TRANSFER-ENCODING" or "UPGRADE" or "EXPECT":
                    return null;
            }
        }

        // HTTP/1.1 requires Host; without it Kestrel answers 400.
        return host is null ? null : new StreamRequestHead(length, headerId ?? queryId, traceParent, traceState);
    }

    private static bool TryQueryId(string query, out string? id)
    {
        id = null;
        var values = QueryHelpers.ParseQuery(query);
        if (!values.TryGetValue("lastEventId", out var ids))
        {
            return true;
        }

        // Several ids, or an empty one: the endpoint's binding decides what that means.
        if (ids.Count != 1 || string.IsNullOrEmpty(ids[0]))
        {
            return false;
        }

        id = ids[0];
        return true;
    }

    // RFC 9110 token characters.
    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (c > 0x7E || c <= 0x20 || "\"(),/:;<=>?@[\\]{}".Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    // Visible ASCII, spaces and tabs: no control characters, no line folding, nothing Kestrel's
    // configured header encoding would have to decide.
    private static bool IsFieldValue(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != '\t') || c >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
