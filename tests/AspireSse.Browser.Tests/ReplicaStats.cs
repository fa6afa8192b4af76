namespace AspireSse.Browser.Tests;

/// <summary>One replica's answer to <c>GET /events/stats</c>.</summary>
internal sealed record ReplicaStats(string Replica, int Clients, string? Epoch, long LastSequence);
