namespace AspireSse.TestSupport;

/// <summary>Checks a client's received sequence numbers the way a user would: every one, once, in order.</summary>
public static class TickSequence
{
    /// <summary>Null when the numbers run consecutively; otherwise where and how they break.</summary>
    public static string? FirstBreak(IReadOnlyList<long> sequences)
    {
        for (var i = 1; i < sequences.Count; i++)
        {
            if (sequences[i] != sequences[i - 1] + 1)
            {
                var from = Math.Max(0, i - 3);
                return $"tick {sequences[i]} followed {sequences[i - 1]} (…{string.Join(",", sequences.Skip(from).Take(6))}…)";
            }
        }

        return null;
    }
}
