namespace Pm.Policy.Restart;

/// <summary>When to start the slot again, the failure count after this exit, and why, in words.</summary>
public sealed record RestartDecision(DateTimeOffset StartAt, int ConsecutiveFailures, bool IsFailure, bool BackingOff, string Reason);
