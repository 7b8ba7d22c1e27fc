namespace Pm.Status;

/// <summary>How an app's most recent instance ended.</summary>
public sealed record ExitStatusReport(int Pid, DateTimeOffset At, string How, double LifetimeSeconds);
