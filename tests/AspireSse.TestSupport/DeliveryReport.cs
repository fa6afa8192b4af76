namespace AspireSse.TestSupport;

/// <summary>What a set of clients received, checked the way a user would: every tick, once, in order.</summary>
public sealed record DeliveryReport(int Clients, long Ticks, long Lost, long Duplicated, long Reordered)
{
    public static DeliveryReport For(IEnumerable<IReadOnlyList<(string Epoch, long Sequence)>> clients)
    {
        int count = 0;
        long ticks = 0, lost = 0, duplicated = 0, reordered = 0;
        foreach (var received in clients)
        {
            count++;
            ticks += received.Count;
            string? epoch = null;
            long highest = 0;
            var seen = new HashSet<long>();
            foreach (var (tickEpoch, sequence) in received)
            {
                if (tickEpoch != epoch)
                {
                    // A new epoch starts again at the oldest retained tick, announced by a reset.
                    epoch = tickEpoch;
                    highest = sequence;
                    seen = [sequence];
                    continue;
                }

                if (!seen.Add(sequence))
                {
                    duplicated++;
                }
                else if (sequence < highest)
                {
                    reordered++;
                }
                else
                {
                    lost += sequence - highest - 1;
                    highest = sequence;
                }
            }
        }

        return new DeliveryReport(count, ticks, lost, duplicated, reordered);
    }

    /// <summary>The line <c>./test.sh</c> shows for each fault scenario.</summary>
    public string FaultLine(string scenario) =>
        $"faults: {scenario} clients={Clients} ticks={Ticks} lost={Lost} dup={Duplicated} reordered={Reordered}";

    /// <summary>Reports the scenario's line (see <see cref="TestReport"/>), with what else the test measured.</summary>
    public void Publish(string scenario, string? detail = null) =>
        TestReport.Publish(detail is null ? FaultLine(scenario) : $"{FaultLine(scenario)} {detail}");
}
