using AspireSse.Contracts;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Relay;

/// <summary>
/// The last <see cref="TickStreamOptions.RecentTicks"/> ticks this replica relayed, so a client
/// resuming from nearly where the stream stands is replayed from memory rather than from Redis.
/// When a replica dies, all its clients resume on the others within one reconnect delay, from
/// nearly the same tick: read from here, the storm costs Redis nothing.
/// </summary>
/// <remarks>
/// Only the broadcaster writes, under its lock, in the order it relays; any number of openings read
/// without a lock. A slot holds an immutable <see cref="RecentTick"/> that names its tick, and a
/// reader takes it only if it is the tick asked for, so a slot overwritten under a reader is seen
/// as a miss (the rest comes from Redis), never as the wrong tick. The window is contiguous within
/// one epoch: a gap or a new epoch empties it, and it fills again from the next tick.
/// </remarks>
public sealed class RecentTicks(IOptions<TickStreamOptions> options)
{
    private readonly RecentTick?[] _slots = new RecentTick?[options.Value.RecentTicks];
    // Written only under the broadcaster's lock.
    private TickPosition _last;

    /// <summary>How many ticks it holds at most; 0 when turned off.</summary>
    public int Capacity => _slots.Length;

    /// <summary>The tick <paramref name="sequence"/> of <paramref name="epoch"/>, if the window still holds it.</summary>
    public RecentTick? Find(string epoch, long sequence)
    {
        if (_slots.Length == 0 || sequence <= 0)
        {
            return null;
        }

        var entry = Volatile.Read(ref _slots[sequence % _slots.Length]);
        return entry is { Tick: var tick } && tick.Sequence == sequence && tick.Epoch == epoch ? entry : null;
    }

    /// <summary>Keeps a tick the broadcaster has just relayed; one that does not follow the last starts the window over.</summary>
    internal void Add(Tick tick)
    {
        if (_slots.Length == 0)
        {
            return;
        }

        if (_last.Of(tick) != TickOrder.Next)
        {
            Clear();
        }

        Volatile.Write(ref _slots[tick.Sequence % _slots.Length], new RecentTick(tick));
        _last = new TickPosition(tick.Epoch, tick.Sequence);
    }

    /// <summary>Forgets every tick: the numbering moved (a new epoch, or a position set from Redis).</summary>
    internal void Clear()
    {
        Array.Clear(_slots);
        _last = default;
    }
}
