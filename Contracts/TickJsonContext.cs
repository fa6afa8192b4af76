using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireSse.Contracts;

// Source-generated so that (de)serializing a tick costs no reflection on the hot path.
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Tick))]
public sealed partial class TickJsonContext : JsonSerializerContext;
