namespace AspireSse.Bench.LoadGen;

/// <summary>What every client received against what was published (ticks 1 to <see cref="FinalSequence"/>).</summary>
/// <param name="Expected">Ticks × clients that should have arrived.</param>
/// <param name="Received">Ticks that arrived, repeats included.</param>
/// <param name="Lost">Ticks that never arrived at some client: gaps plus a missing tail.</param>
/// <param name="Duplicates">Ticks that arrived at a client more than once or out of order.</param>
/// <param name="Dropped">Connections that ended without being asked to.</param>
public sealed record DeliveryReport(
    int Clients,
    long FinalSequence,
    long Expected,
    long Received,
    long Lost,
    long Duplicates,
    long Malformed,
    int Dropped,
    string? FirstError)
{
    public override string ToString() =>
        $"clients={Clients} ticks={FinalSequence} expected={Expected} received={Received} lost={Lost} " +
        $"duplicates={Duplicates} malformed={Malformed} dropped={Dropped}" + (FirstError is null ? "" : $" ({FirstError})");
}
