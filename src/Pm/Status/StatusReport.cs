using System.Text.Json.Serialization;

namespace Pm.Status;

/// <summary>What `pm status` shows: the PM, each app and each instance. Serialized as JSON for scripts.</summary>
public sealed record StatusReport(
    int Pid,
    DateTimeOffset StartedAt,
    DateTimeOffset Now,
    string IpcDir,
    string Config,
    IReadOnlyList<AppStatus> Apps);

public sealed record AppStatus(
    string Name,
    string Kind,
    string Address,
    string? Url,
    int DesiredInstances,
    long Restarts,
    int ConsecutiveFailures,
    DateTimeOffset? NextStartAt,
    string? LastDecision,
    ExitStatusReport? LastExit,
    long? Requests,
    IReadOnlyList<InstanceStatus> Instances,
    IReadOnlyDictionary<string, double>? Load = null,
    string? Policy = null,
    string? LoadSummary = null);

public sealed record InstanceStatus(
    long Id,
    int Pid,
    string State,
    DateTimeOffset StartedAt,
    long? Requests,
    int Slot);

public sealed record ExitStatusReport(int Pid, DateTimeOffset At, string How, double LifetimeSeconds);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusReport))]
public sealed partial class StatusJsonContext : JsonSerializerContext;
