using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireSse.Bench.SendFloor;

internal sealed record FloorTick(string Epoch, long Sequence, DateTimeOffset PublishedAt, string Replica, bool Replayed);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FloorTick))]
internal sealed partial class FloorJsonContext : JsonSerializerContext;
