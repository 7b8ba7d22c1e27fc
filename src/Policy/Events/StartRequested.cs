namespace Pm.Policy;

/// <summary>S record: a request arrived for an app that has no instance to take it.</summary>
public sealed record StartRequested(string AppId, DateTimeOffset At) : PolicyEvent(AppId, At);
