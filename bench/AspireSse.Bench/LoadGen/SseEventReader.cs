namespace AspireSse.Bench.LoadGen;

/// <summary>
/// Reads Server-Sent Events from a byte stream as it arrives, in any slicing: a line split across
/// reads is carried over, every other byte is looked at once. Only <c>event</c> and <c>data</c>
/// matter here; <c>id</c>, <c>retry</c> and comments are skipped. Nothing is allocated per event:
/// an event's spans point into buffers this reader owns and reuses.
/// </summary>
public sealed class SseEventReader
{
    private const int MaxEventType = 64;
    private const int MaxData = 4096;
    private static readonly byte[] DefaultEventType = "message"u8.ToArray();

    private readonly byte[] _carry = new byte[MaxData + 64];
    private readonly byte[] _type = new byte[MaxEventType];
    private readonly byte[] _data = new byte[MaxData];
    private int _carryLength;
    private int _typeLength;
    private int _dataLength;
    private bool _hasData;

    /// <summary>
    /// Consumes lines from <paramref name="input"/> until an event is complete. The event's spans
    /// are valid until the next call.
    /// </summary>
    public bool TryRead(ref ReadOnlySpan<byte> input, out ReadOnlySpan<byte> eventType, out ReadOnlySpan<byte> data)
    {
        while (true)
        {
            var newline = input.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Carry(input);
                input = default;
                eventType = data = default;
                return false;
            }

            var line = input[..newline];
            input = input[(newline + 1)..];
            if (_carryLength > 0)
            {
                Carry(line);
                line = _carry.AsSpan(0, _carryLength);
                _carryLength = 0;
            }

            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (!line.IsEmpty)
            {
                ReadField(line);
                continue;
            }

            // A blank line dispatches the event; one without data is no event (per the spec).
            if (_hasData)
            {
                eventType = _typeLength > 0 ? _type.AsSpan(0, _typeLength) : DefaultEventType;
                data = _data.AsSpan(0, _dataLength);
                _typeLength = _dataLength = 0;
                _hasData = false;
                return true;
            }

            _typeLength = 0;
        }
    }

    private void ReadField(ReadOnlySpan<byte> line)
    {
        if (line[0] == (byte)':')
        {
            return;
        }

        var colon = line.IndexOf((byte)':');
        var name = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? default : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (name.SequenceEqual("data"u8))
        {
            if (_hasData)
            {
                Append(_data, ref _dataLength, "\n"u8);
            }

            Append(_data, ref _dataLength, value);
            _hasData = true;
        }
        else if (name.SequenceEqual("event"u8))
        {
            _typeLength = 0;
            Append(_type, ref _typeLength, value);
        }
    }

    private void Carry(ReadOnlySpan<byte> partial) => Append(_carry, ref _carryLength, partial);

    private static void Append(byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            throw new InvalidDataException($"An SSE line or event is longer than {buffer.Length} bytes.");
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }
}
