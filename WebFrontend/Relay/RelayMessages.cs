using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireSse.WebFrontend.Relay;

/// <summary>The <c>tick</c> event's data: the tick plus the replica that relayed it.</summary>
public sealed record RelayedTick(long Sequence, DateTimeOffset PublishedAt, string Replica);

/// <summary>The first event of every stream: who is serving, and where the count stands.</summary>
public sealed record Hello(string Replica, long Sequence);

/// <summary>Sent when a stream has been idle for the heartbeat interval.</summary>
public sealed record Heartbeat(string Replica, long Sequence);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RelayedTick))]
[JsonSerializable(typeof(Hello))]
[JsonSerializable(typeof(Heartbeat))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
