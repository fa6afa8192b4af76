using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireSse.Bench.Systems;

/// <summary>
/// A tick as a peer's feeder forwards it: the fields and JSON shape of the WebFrontend's
/// <c>tick</c> event data, so every system sends an event of the same size.
/// </summary>
public sealed record PeerTick(string Epoch, long Sequence, DateTimeOffset PublishedAt, string Replica, bool Replayed);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PeerTick))]
internal sealed partial class PeerTickJsonContext : JsonSerializerContext;
