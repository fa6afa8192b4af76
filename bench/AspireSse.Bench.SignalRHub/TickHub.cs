using Microsoft.AspNetCore.SignalR;

namespace AspireSse.Bench.SignalRHub;

/// <summary>
/// Clients only listen for <c>tick</c>; broadcasts come from the feeder through the Redis backplane.
/// The hub's full type name names the backplane's channels, so hub and feeder share this class.
/// </summary>
public sealed class TickHub : Hub
{
    public const string TickMethod = "tick";
}
