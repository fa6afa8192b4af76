using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace AspireSse.WebFrontend.FastPath;

/// <summary>
/// The head of an HTTP/1.1 <c>GET /events</c> request, read from a connection's first bytes by
/// <see cref="TickStreamConnections"/>. Only the plain, common form is recognised; anything else —
/// another method, path or version, a body, an upgrade, a header Kestrel might reject — is left to
/// Kestrel's own parser, which then serves or refuses it as usual.
/// </summary>
internal sealed record StreamRequestHead(int Length, string? LastEventId, string? TraceParent, string? TraceState)
{
    /// <summary>Longer heads are left to Kestrel; a browser's or YARP's is a small fraction of this.</summary>
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
        var available = (int)Math.Min(buffer.Length, MaxLength);
        // A head is parsed once per stream, but a replica's clients reconnecting at once (after a
        // drain or a restart) make that a burst: it is read in place, and only the values kept
        // become strings.
        Span<byte> copy = stackalloc byte[buffer.IsSingleSegment ? 0 : available];
        scoped ReadOnlySpan<byte> bytes;
        if (buffer.IsSingleSegment)
        {
            bytes = buffer.FirstSpan[..available];
        }
        else
        {
            buffer.Slice(0, available).CopyTo(copy);
            bytes = copy;
        }

        var compared = Math.Min(bytes.Length, Start.Length);
        if (!bytes[..compared].SequenceEqual(Start[..compared])
            || (bytes.Length > Start.Length && bytes[Start.Length] is not ((byte)' ' or (byte)'?')))
        {
            return Outcome.NotOurs;
        }

        var end = bytes.IndexOf(End);
        if (end < 0)
        {
            return buffer.Length >= MaxLength ? Outcome.NotOurs : Outcome.NeedMore;
        }

        head = Parse(bytes[..end], end + End.Length);
        return head is null ? Outcome.NotOurs : Outcome.Ours;
    }

    private static StreamRequestHead? Parse(ReadOnlySpan<byte> text, int length)
    {
        var lineEnd = text.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? text : text[..lineEnd];
        var rest = lineEnd < 0 ? [] : text[(lineEnd + 2)..];
        if (!requestLine.EndsWith(" HTTP/1.1"u8))
        {
            return null;
        }

        // What follows "GET /events": nothing, or a query.
        var query = requestLine[Start.Length..^" HTTP/1.1".Length];
        string? queryId = null;
        if (!query.IsEmpty && (query[0] != (byte)'?' || query.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0
            || !TryQueryId(Encoding.ASCII.GetString(query), out queryId)))
        {
            return null;
        }

        var host = false;
        string? headerId = null, traceParent = null, traceState = null;
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            rest = lineEnd < 0 ? [] : rest[(lineEnd + 2)..];

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]) || !IsFieldValue(line[(colon + 1)..]))
            {
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (host)
                {
                    return null;
                }

                host = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Last-Event-ID"u8))
            {
                if (headerId is not null || value.IsEmpty)
                {
                    return null;
                }

                headerId = Encoding.ASCII.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "traceparent"u8))
            {
                if (traceParent is not null)
                {
                    return null;
                }

                traceParent = Encoding.ASCII.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "tracestate"u8))
            {
                if (traceState is not null)
                {
                    return null;
                }

                traceState = Encoding.ASCII.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) ? !value.SequenceEqual("0"u8)
                : Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8)
                    || Ascii.EqualsIgnoreCase(name, "Expect"u8))
            {
                // A body, an upgrade or an expectation: Kestrel's call.
                return null;
            }
        }

        // HTTP/1.1 requires Host; without it Kestrel answers 400.
        return host ? new StreamRequestHead(length, headerId ?? queryId, traceParent, traceState) : null;
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
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var c in name)
        {
            if (c > 0x7E || c <= 0x20 || "\"(),/:;<=>?@[\\]{}"u8.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    // Visible ASCII, spaces and tabs: no control characters, no line folding, nothing Kestrel's
    // configured header encoding would have to decide.
    private static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != (byte)'\t') || c >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
