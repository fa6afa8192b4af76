using AspireSse.Contracts;

namespace AspireSse.WebFrontend.Relay;

/// <summary>How a tick stands to a <see cref="TickPosition"/>.</summary>
public enum TickOrder
{
    /// <summary>The very next tick.</summary>
    Next,

    /// <summary>Ahead of the next: ticks in between are missing.</summary>
    Gap,

    /// <summary>At or behind the position: already had.</summary>
    Duplicate,

    /// <summary>Numbered in another epoch: not comparable.</summary>
    OtherEpoch,
}

/// <summary>
/// Where a sequence of ticks stands: the epoch and the last sequence had. The one rule for what may
/// follow it, used by everything that orders ticks — the subscriber (what to relay, what to fill in
/// from history), the broadcaster (what to fan out), each client (what its stream already has) and
/// the replay (where history skips) — so none of them can disagree about a gap or a duplicate.
/// </summary>
/// <param name="Epoch">Null until the first tick or position is known: then any epoch is this one.</param>
public readonly record struct TickPosition(string? Epoch, long Sequence)
{
    public TickOrder Of(string epoch, long sequence) =>
        Epoch is not null && epoch != Epoch ? TickOrder.OtherEpoch
        : sequence <= Sequence ? TickOrder.Duplicate
        : sequence == Sequence + 1 ? TickOrder.Next
        : TickOrder.Gap;

    public TickOrder Of(Tick tick) => Of(tick.Epoch, tick.Sequence);

    /// <summary>Whether a stream at this position has any use for the tick: it is not had, and comparable.</summary>
    public bool Wants(string epoch, long sequence) => Of(epoch, sequence) is TickOrder.Next or TickOrder.Gap;
}
