namespace Pm.Policy.Restart;

/// <summary>What the restart decision needs to know about an instance that ended.</summary>
public sealed record InstanceEnd(
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    bool ExitedCleanly,
    string HowItEnded);
