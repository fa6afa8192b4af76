namespace AspireSse.WebFrontend.Relay;

/// <summary>Where a resume's missed ticks came from: the values of <c>aspiresse.replay.source</c>.</summary>
public static class ReplaySource
{
    /// <summary>This replica's recent ticks (<see cref="RecentTicks"/>), or nothing was missed: no Redis read.</summary>
    public const string Window = "window";

    /// <summary>The history stream in Redis, for all or part of the replay.</summary>
    public const string History = "history";
}
