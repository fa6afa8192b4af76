using System.Globalization;

namespace AspireSse.Bench.LoadGen;

/// <summary>
/// Undoes HTTP/1.1 chunked transfer encoding incrementally, in place: each call hands back a slice
/// of the input that is body, and keeps its position in the framing between reads.
/// </summary>
public sealed class ChunkedDecoder(bool chunked)
{
    private enum State
    {
        Size,
        Extension,
        Data,
        DataEnd,
        Done,
    }

    private State _state;
    private long _remaining;
    private bool _sizeHasDigits;

    /// <summary>The zero-length last chunk arrived: the server ended the response.</summary>
    public bool IsDone => _state == State.Done;

    /// <summary>Takes the next run of body bytes off <paramref name="input"/>; false when the input holds no more.</summary>
    public bool TryNext(ref ReadOnlySpan<byte> input, out ReadOnlySpan<byte> body)
    {
        if (!chunked)
        {
            body = input;
            input = default;
            return !body.IsEmpty;
        }

        while (!input.IsEmpty)
        {
            switch (_state)
            {
                case State.Size:
                    var b = input[0];
                    input = input[1..];
                    if (HexValue(b) is var digit and >= 0)
                    {
                        _remaining = checked((_remaining * 16) + digit);
                        _sizeHasDigits = true;
                    }
                    else if (b == (byte)'\n')
                    {
                        EndOfSizeLine();
                    }
                    else if (b is (byte)';' or (byte)'\r' && _sizeHasDigits)
                    {
                        _state = State.Extension;
                    }
                    else
                    {
                        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Bad chunk size byte 0x{b:x2}."));
                    }

                    break;
                case State.Extension:
                    var lineEnd = input.IndexOf((byte)'\n');
                    if (lineEnd < 0)
                    {
                        input = default;
                        break;
                    }

                    input = input[(lineEnd + 1)..];
                    EndOfSizeLine();
                    break;
                case State.Data:
                    var take = (int)Math.Min(_remaining, input.Length);
                    body = input[..take];
                    input = input[take..];
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                    }

                    return true;
                case State.DataEnd:
                    // The CRLF after a chunk's data.
                    var end = input[0];
                    input = input[1..];
                    if (end == (byte)'\n')
                    {
                        _state = State.Size;
                    }
                    else if (end != (byte)'\r')
                    {
                        throw new InvalidDataException("A chunk is longer than its size line says.");
                    }

                    break;
                default:
                    input = default;
                    break;
            }
        }

        body = default;
        return false;
    }

    private void EndOfSizeLine()
    {
        if (!_sizeHasDigits)
        {
            throw new InvalidDataException("A chunk size line has no size.");
        }

        _state = _remaining == 0 ? State.Done : State.Data;
        _sizeHasDigits = false;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
