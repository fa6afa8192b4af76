namespace AspireSse.TestSupport;

/// <summary>What a set of clients received, each checked by <see cref="TickDeliveryCheck"/>, summed.</summary>
public sealed record DeliveryReport(int Clients, long Ticks, long Lost, long Duplicated, long Reordered)
{
    public static DeliveryReport For(IEnumerable<SseTestClient> clients) => For(clients.Select(c => c.Events));

    /// <summary>Each list is what one client saw: its ticks, and the <c>reset</c>s that announce a new epoch's start.</summary>
    public static DeliveryReport For(IEnumerable<IReadOnlyList<SseEvent>> clients)
    {
        int count = 0;
        long ticks = 0, lost = 0, duplicated = 0, reordered = 0;
        foreach (var events in clients)
        {
            count++;
            var check = new TickDeliveryCheck();
            foreach (var e in events)
            {
                switch (e.Type)
                {
                    case "tick":
                        check.Observe(e.Epoch, e.Sequence);
                        break;
                    case "reset" when e.Id is not null:
                        // Its id is the new epoch's position: the first tick after a reset is the one after it.
                        check.Announce(e.Epoch, e.Sequence);
                        break;
                }
            }

            ticks += check.Received;
            lost += check.Lost;
            duplicated += check.Duplicated;
            reordered += check.Reordered;
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
