namespace Pm.Supervision;

/// <summary>An instance killed for a limit (spawn, request, stuck): which, when, why, and its diagnosis in one line.</summary>
public sealed record KillRecord(int Pid, DateTimeOffset At, string Reason, string? Diagnosis);
