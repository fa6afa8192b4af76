using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireSse.WebFrontend.Relay;

/// <summary>The <c>tick</c> event's data: the tick plus the replica that relayed it.</summary>
public sealed record RelayedTick(string Epoch, long Sequence, DateTimeOffset PublishedAt, string Replica, bool Replayed = false);

/// <summary>The first event of every stream: who is serving, and where the count stands.</summary>
public sealed record Hello(string Replica, string? Epoch, long Sequence);

/// <summary>Sent every heartbeat interval, so proxies do not close a quiet stream.</summary>
public sealed record Heartbeat(string Replica, long Sequence);

/// <summary>
/// The client cannot continue where it was: the numbering restarted (Redis lost its data) or the
/// ticks it missed are no longer retained. The stream continues from <see cref="Oldest"/>.
/// </summary>
public sealed record Reset(string Epoch, long Oldest, long Current, string Reason);

/// <summary>The replica is shutting down: reconnect (through the one URL, to another replica) after the given delay.</summary>
public sealed record Drain(string Replica, long RetryMs);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RelayedTick))]
[JsonSerializable(typeof(Hello))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(Reset))]
[JsonSerializable(typeof(Drain))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
