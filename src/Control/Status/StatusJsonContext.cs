using System.Text.Json.Serialization;

namespace Pm.Status;

/// <summary>The status report's JSON, source-generated (no reflection, so AOT and trimming keep working).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(Dictionary<string, string>), TypeInfoPropertyName = "ErrorReply")]
public sealed partial class StatusJsonContext : JsonSerializerContext;
