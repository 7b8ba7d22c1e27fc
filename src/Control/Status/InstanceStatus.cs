namespace Pm.Status;

/// <summary>One live instance of an app: its pid and state (starting, idle, busy or stopping).</summary>
public sealed record InstanceStatus(
    long Id,
    int Pid,
    string State,
    DateTimeOffset StartedAt,
    long? Requests,
    int Slot);
