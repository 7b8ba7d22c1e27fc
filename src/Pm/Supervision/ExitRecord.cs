namespace Pm.Supervision;

/// <summary>How an app's most recent instance ended, for status.</summary>
public sealed record ExitRecord(int Pid, DateTimeOffset At, string How, TimeSpan Lifetime);
