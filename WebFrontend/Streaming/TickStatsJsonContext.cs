using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireSse.WebFrontend.Streaming;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TickStreamStats))]
internal sealed partial class TickStatsJsonContext : JsonSerializerContext;
