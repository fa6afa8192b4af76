namespace AspireSse.TestSupport;

/// <summary>
/// The one rule for what a client received, tick by tick, the way a user would judge it: every
/// tick, once, in order. Fed one tick at a time, it keeps no list and allocates nothing, so the
/// benchmark's load generator runs one per connection just as the tests run one per client.
/// </summary>
/// <remarks>
/// A tick above the highest so far counts the sequences it skips as lost. A tick below it is
/// duplicated if it arrived before, otherwise reordered — and no longer lost, since it did arrive.
/// Which of the last <see cref="Window"/> sequences arrived is remembered exactly; a tick older
/// than that is counted as duplicated, the likelier of the two (a resume from a stale position).
/// A tick from before where the numbering started counts as reordered. Epochs: a new epoch is a new numbering, starting at the position its <c>reset</c> announced, or
/// at its first tick when no announcement came (a client that joined or resumed in it).
/// </remarks>
public struct TickDeliveryCheck
{
    /// <summary>How many sequences below the highest are remembered, to tell a late tick from a repeat.</summary>
    public const int Window = 64;

    private string? _epoch;
    private long _highest;
    private long _floor;
    private ulong _arrived;
    private bool _started;
    private string? _announcedEpoch;
    private long _announcedAfter;

    /// <summary>A check that expects every tick after <paramref name="startsAfter"/> (the benchmark's clients, from tick 1: 0).</summary>
    public TickDeliveryCheck(long startsAfter)
    {
        _highest = _floor = startsAfter;
        _started = true;
    }

    /// <summary>Ticks observed, repeats and late ones included.</summary>
    public long Received { get; private set; }

    /// <summary>Sequences skipped and not (yet) arrived late.</summary>
    public long Lost { get; private set; }

    /// <summary>Ticks that had arrived before.</summary>
    public long Duplicated { get; private set; }

    /// <summary>Ticks that arrived after a higher one.</summary>
    public long Reordered { get; private set; }

    /// <summary>The highest sequence of the current epoch so far.</summary>
    public readonly long Highest => _highest;

    /// <summary>The epoch of the ticks last observed; null for a numbering without epochs.</summary>
    public readonly string? Epoch => _epoch;

    /// <summary>Lost ticks, counting those after the last one received up to <paramref name="finalSequence"/> as lost too.</summary>
    public readonly long LostUpTo(long finalSequence) => Lost + Math.Max(0, finalSequence - _highest);

    /// <summary>
    /// A <c>reset</c>: the numbering of <paramref name="epoch"/> continues after <paramref name="startsAfter"/>.
    /// It takes effect when that epoch's first tick arrives; within the current epoch it changes nothing.
    /// </summary>
    public void Announce(string epoch, long startsAfter)
    {
        _announcedEpoch = epoch;
        _announcedAfter = startsAfter;
    }

    /// <summary>A tick of <paramref name="epoch"/>.</summary>
    public void Observe(string? epoch, long sequence)
    {
        if (!_started || !string.Equals(epoch, _epoch, StringComparison.Ordinal))
        {
            var announced = epoch is not null && string.Equals(epoch, _announcedEpoch, StringComparison.Ordinal);
            _highest = _floor = announced ? _announcedAfter : sequence - 1;
            _epoch = epoch;
            _arrived = 0;
            _started = true;
        }

        Observe(sequence);
    }

    /// <summary>A tick of the current epoch.</summary>
    public void Observe(long sequence)
    {
        Received++;
        if (sequence > _highest)
        {
            var skipped = sequence - _highest - 1;
            Lost += skipped;
            _arrived = skipped + 1 >= Window ? 1 : (_arrived << (int)(skipped + 1)) | 1;
            _highest = sequence;
            return;
        }

        if (sequence <= _floor)
        {
            // From before where this client's numbering started: never expected, so never lost.
            Reordered++;
            return;
        }

        var behind = _highest - sequence;
        if (behind >= Window)
        {
            Duplicated++;
            return;
        }

        var bit = 1UL << (int)behind;
        if ((_arrived & bit) != 0)
        {
            Duplicated++;
            return;
        }

        _arrived |= bit;
        Reordered++;
        Lost--;
    }
}
