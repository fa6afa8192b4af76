using AspireSse.Contracts;

namespace AspireSse.WebFrontend.Relay;

/// <summary>One read of the history stream (<see cref="TickHistory.ReadPageAsync"/>).</summary>
/// <param name="Ticks">The valid ticks read, in order.</param>
/// <param name="Next">
/// Where the next read starts: after the last entry read, valid or not. Null when the read found
/// nothing, so the history holds nothing further up to where it was asked to read.
/// </param>
public readonly record struct HistoryPage(IReadOnlyList<Tick> Ticks, long? Next);
