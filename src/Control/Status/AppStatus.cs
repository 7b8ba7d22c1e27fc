namespace Pm.Status;

/// <summary>One app the PM runs or knows (static, dynamic, web or external), as the status report shows it.</summary>
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
    string? LoadSummary = null,
    KillReport? LastKill = null);
