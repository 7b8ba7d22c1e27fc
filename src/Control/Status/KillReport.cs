namespace Pm.Status;

/// <summary>The app's last instance killed for a limit (spawn, request, stuck): why, and its diagnosis in one line (the whole one is in the log).</summary>
public sealed record KillReport(int Pid, DateTimeOffset At, string Reason, string? Diagnosis);
